{{/* Names and labels, following the `helm create` scaffold. */}}
{{- define "shipay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "shipay.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "shipay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* A component's name: (dict "root" $ "component" "api-rest"). */}}
{{- define "shipay.componentName" -}}
{{- printf "%s-%s" (include "shipay.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "shipay.labels" -}}
helm.sh/chart: {{ include "shipay.chart" . }}
{{ include "shipay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: shipay
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "shipay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shipay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: (dict "root" $ "component" "api-rest"). */}}
{{- define "shipay.componentLabels" -}}
{{ include "shipay.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "shipay.componentSelectorLabels" -}}
{{ include "shipay.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* registry/repository:tag or @digest: (dict "image" .Values.apiRest.image "root" $). */}}
{{- define "shipay.image" -}}
{{- $registry := .image.registry | default "" -}}
{{- $ref := ternary .image.repository (printf "%s/%s" $registry .image.repository) (eq $registry "") -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $ref .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref (.image.tag | default .root.Chart.AppVersion | toString) -}}
{{- end -}}
{{- end }}

{{- define "shipay.serviceAccountName" -}}
{{- if .sa.create -}}
{{- default (include "shipay.componentName" (dict "root" .root "component" .component)) .sa.name -}}
{{- else -}}
{{- default "default" .sa.name -}}
{{- end -}}
{{- end }}

{{- define "shipay.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Container security context meeting Pod Security `restricted`; extra keys from values. */}}
{{- define "shipay.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* --- Connection settings: in-cluster or external --- */}}
{{- define "shipay.postgresql.host" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "%s.%s.svc.cluster.local" (include "shipay.componentName" (dict "root" . "component" "postgresql")) .Release.Namespace -}}
{{- else -}}
{{- required "externalDatabase.host is required when postgresql.enabled=false" .Values.externalDatabase.host -}}
{{- end -}}
{{- end }}

{{- define "shipay.postgresql.port" -}}
{{- ternary .Values.postgresql.service.port .Values.externalDatabase.port .Values.postgresql.enabled -}}
{{- end }}

{{- define "shipay.postgresql.database" -}}
{{- ternary .Values.postgresql.auth.database .Values.externalDatabase.database .Values.postgresql.enabled -}}
{{- end }}

{{- define "shipay.postgresql.user" -}}
{{- ternary .Values.postgresql.auth.username .Values.externalDatabase.user .Values.postgresql.enabled -}}
{{- end }}

{{- define "shipay.postgresql.sslmode" -}}
{{- ternary .Values.postgresql.sslmode .Values.externalDatabase.sslmode .Values.postgresql.enabled -}}
{{- end }}

{{/* Secret holding the database password, and its key. */}}
{{- define "shipay.databaseSecretName" -}}
{{- if and (not .Values.postgresql.enabled) .Values.externalDatabase.existingSecret -}}
{{- .Values.externalDatabase.existingSecret -}}
{{- else if and .Values.postgresql.enabled .Values.postgresql.auth.existingSecret -}}
{{- .Values.postgresql.auth.existingSecret -}}
{{- else -}}
{{- include "shipay.componentName" (dict "root" . "component" "database") -}}
{{- end -}}
{{- end }}

{{- define "shipay.databaseSecretKey" -}}
{{- if and (not .Values.postgresql.enabled) .Values.externalDatabase.existingSecret -}}
{{- .Values.externalDatabase.existingSecretPasswordKey -}}
{{- else if and .Values.postgresql.enabled .Values.postgresql.auth.existingSecret -}}
{{- .Values.postgresql.auth.existingSecretPasswordKey -}}
{{- else -}}
password
{{- end -}}
{{- end }}

{{- define "shipay.createDatabaseSecret" -}}
{{- if .Values.postgresql.enabled -}}
{{- if not .Values.postgresql.auth.existingSecret -}}true{{- end -}}
{{- else if not .Values.externalDatabase.existingSecret -}}true{{- end -}}
{{- end }}

{{- define "shipay.kafka.headless" -}}
{{- printf "%s-headless" (include "shipay.componentName" (dict "root" . "component" "kafka")) -}}
{{- end }}

{{- define "shipay.kafka.bootstrapServers" -}}
{{- if .Values.kafka.enabled -}}
{{- printf "%s.%s.svc.cluster.local:%d" (include "shipay.kafka.headless" .) .Release.Namespace (int .Values.kafka.service.port) -}}
{{- else -}}
{{- required "externalKafka.bootstrapServers is required when kafka.enabled=false" .Values.externalKafka.bootstrapServers -}}
{{- end -}}
{{- end }}

{{/* The settings both services read; what goes into the ConfigMap (and its checksum). */}}
{{- define "shipay.settings" -}}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
POSTGRES_HOST: {{ include "shipay.postgresql.host" . | quote }}
POSTGRES_PORT: {{ include "shipay.postgresql.port" . | quote }}
POSTGRES_DB: {{ include "shipay.postgresql.database" . | quote }}
POSTGRES_USER: {{ include "shipay.postgresql.user" . | quote }}
POSTGRES_SSLMODE: {{ include "shipay.postgresql.sslmode" . | quote }}
KAFKA_BOOTSTRAP_SERVERS: {{ include "shipay.kafka.bootstrapServers" . | quote }}
KAFKA_TOPIC_PARTITIONS: {{ .Values.config.kafkaTopicPartitions | quote }}
KAFKA_TOPIC_REPLICATION_FACTOR: {{ .Values.config.kafkaTopicReplicationFactor | quote }}
KAFKA_CONSUMER_GROUP: {{ .Values.config.kafkaConsumerGroup | quote }}
WORKER_DEMO_INTERVAL_SECONDS: {{ .Values.config.workerDemoIntervalSeconds | quote }}
{{- range $k, $v := .Values.config.extraEnv }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}

{{/*
Pod annotations that roll the pods when settings change. The secret checksum covers the values
that decide the secret, not the generated password (stable via lookup; random under `helm template`).
*/}}
{{- define "shipay.checksumAnnotations" -}}
checksum/config: {{ include "shipay.settings" . | sha256sum }}
checksum/secret: {{ dict "postgresql" .Values.postgresql.auth "external" .Values.externalDatabase "enabled" .Values.postgresql.enabled | toJson | sha256sum }}
{{- end }}

{{/* Environment of the two services: ConfigMap plus the database password. */}}
{{- define "shipay.serviceEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "shipay.componentName" (dict "root" . "component" "config") }}
env:
  - name: POSTGRES_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ include "shipay.databaseSecretName" . }}
        key: {{ include "shipay.databaseSecretKey" . }}
{{- end }}

{{/* Node affinity on the capacity-type label: (dict "key" label "values" list "mode" "preferred|required" "weight" n). */}}
{{- define "shipay.capacityAffinity" -}}
nodeAffinity:
{{- if eq .mode "required" }}
  requiredDuringSchedulingIgnoredDuringExecution:
    nodeSelectorTerms:
      - matchExpressions:
          - key: {{ .key }}
            operator: In
            values: {{ toJson .values }}
{{- else }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: {{ .weight }}
      preference:
        matchExpressions:
          - key: {{ .key }}
            operator: In
            values: {{ toJson .values }}
{{- end }}
{{- end }}

{{/* --- api_rest TLS --- */}}
{{- define "shipay.apiRest.name" -}}
{{- include "shipay.componentName" (dict "root" . "component" "api-rest") -}}
{{- end }}

{{- define "shipay.apiRest.tlsSecretName" -}}
{{- .Values.apiRest.tls.existingSecret | default (printf "%s-tls" (include "shipay.apiRest.name" .)) -}}
{{- end }}

{{- define "shipay.apiRest.caConfigMapName" -}}
{{- include "shipay.componentName" (dict "root" . "component" "ca") -}}
{{- end }}

{{/* Every name the Service answers to, for the certificate's SANs. */}}
{{- define "shipay.apiRest.dnsNames" -}}
{{- $svc := include "shipay.apiRest.name" . -}}
{{- $ns := .Release.Namespace -}}
{{- $names := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) -}}
{{- concat $names .Values.apiRest.tls.extraDnsNames | uniq | toJson -}}
{{- end }}

{{/*
CA, certificate and key (base64) for the API: the existing Secret's when it holds all three
(so upgrades keep the certificate clients already trust), else a new CA and a server certificate
signed by it. Called with (dict "root" $ "existing" <lookup result>) so tests can pass a stub.
*/}}
{{- define "shipay.apiRest.tlsMaterial" -}}
{{- $data := dig "data" (dict) (.existing | default dict) -}}
{{- if and (index $data "tls.crt") (index $data "tls.key") (index $data "ca.crt") -}}
ca: {{ index $data "ca.crt" | quote }}
crt: {{ index $data "tls.crt" | quote }}
key: {{ index $data "tls.key" | quote }}
reused: true
{{- else -}}
{{- $root := .root -}}
{{- $days := int $root.Values.apiRest.tls.validityDays -}}
{{- $ca := genCA (printf "%s-ca" (include "shipay.fullname" $root)) $days -}}
{{- $dns := include "shipay.apiRest.dnsNames" $root | fromJsonArray -}}
{{- $cert := genSignedCert (first $dns) nil $dns $days $ca -}}
ca: {{ $ca.Cert | b64enc | quote }}
crt: {{ $cert.Cert | b64enc | quote }}
key: {{ $cert.Key | b64enc | quote }}
reused: false
{{- end -}}
{{- end }}

{{/* Volume with the CA that signs the API certificate (for clients and the test hook). */}}
{{- define "shipay.apiRest.caVolume" -}}
{{- if or .Values.apiRest.tls.certManager.enabled .Values.apiRest.tls.existingSecret }}
secret:
  secretName: {{ include "shipay.apiRest.tlsSecretName" . }}
  items: [{key: ca.crt, path: ca.crt}]
{{- else }}
configMap:
  name: {{ include "shipay.apiRest.caConfigMapName" . }}
{{- end }}
{{- end }}

{{/* Pod affinity from the component's scheduling values, unless `affinity` replaces it. */}}
{{- define "shipay.podScheduling" -}}
{{- $c := .component -}}
{{- $s := $c.scheduling -}}
{{- if $c.affinity }}
affinity:
  {{- toYaml $c.affinity | nindent 2 }}
{{- else if or (ne $s.mode "none") $s.spread }}
affinity:
  {{- if ne $s.mode "none" }}
  {{- include "shipay.capacityAffinity" (dict "key" .root.Values.scheduling.capacityTypeLabel "values" (list $s.capacityType) "mode" $s.mode "weight" $s.weight) | nindent 2 }}
  {{- end }}
  {{- if $s.spread }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 50
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "shipay.componentSelectorLabels" (dict "root" .root "component" .name) | nindent 14 }}
  {{- end }}
{{- end }}
{{- if $c.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml $c.topologySpreadConstraints | nindent 2 }}
{{- else if $s.spread }}
topologySpreadConstraints:
  {{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "shipay.componentSelectorLabels" (dict "root" $.root "component" $.name) | nindent 8 }}
    matchLabelKeys: [pod-template-hash]
  {{- end }}
{{- end }}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* A NetworkPolicy peer: the pods of one component of this release. */}}
{{- define "shipay.np.peer" -}}
- podSelector:
    matchLabels:
      {{- include "shipay.componentSelectorLabels" (dict "root" .root "component" .component) | nindent 6 }}
{{- end }}

{{/*
The database password: from values, else the one the existing Secret holds (PostgreSQL reads it
only when it initialises its volume, so a new one would lock the services out), else a new random
one. Called with (dict "root" $ "existing" <lookup result>) so tests can pass a stub.
*/}}
{{- define "shipay.databasePassword" -}}
{{- $v := .root.Values -}}
{{- $password := ternary $v.postgresql.auth.password $v.externalDatabase.password $v.postgresql.enabled -}}
{{- if not $password -}}
{{- if not $v.postgresql.enabled -}}
{{- fail "externalDatabase.password or externalDatabase.existingSecret is required when postgresql.enabled=false" -}}
{{- end -}}
{{- $password = dig "data" "password" "" (.existing | default dict) | b64dec | default (randAlphaNum 32) -}}
{{- end -}}
{{- $password -}}
{{- end }}
