// Command crictl is a minimal crictl for the ci.local kind node image: the two commands kind
// v0.30.0 runs in a node, `crictl inspecti IMAGE` (kind load: skip an image the node already
// has) and `crictl images` (kind export logs). It is a real CRI client on k8s.io/cri-client,
// talking to the runtime's CRI socket as crictl does, because sigs.k8s.io/cri-tools is not on
// the module proxy here. Output follows crictl v1.33: inspecti prints
// {"info": {...}, "status": <the CRI Image as protobuf JSON>} (status.size is a string, as
// crictl prints a uint64); images prints the IMAGE TAG IMAGE ID SIZE table.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gogo/protobuf/jsonpb"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	remote "k8s.io/cri-client/pkg"
)

const usage = `crictl: a minimal crictl (inspecti, images) on k8s.io/cri-client

Usage:
  crictl inspecti IMAGE [IMAGE...]   status of images (JSON); exit 1 if one is not present
  crictl images                      list images: IMAGE TAG IMAGE ID SIZE

Endpoint: $IMAGE_SERVICE_ENDPOINT, $CONTAINER_RUNTIME_ENDPOINT, else image-endpoint or
runtime-endpoint in /etc/crictl.yaml ($CRI_CONFIG_FILE), else ` + defaultEndpoint + `
`

const (
	defaultEndpoint = "unix:///run/containerd/containerd.sock"
	timeout         = 10 * time.Second
)

func main() {
	args := os.Args[1:]
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
		fmt.Print(usage)
		return
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") { // no options are implemented
			args = nil
		}
	}
	var run func(internalapi.ImageManagerService) error
	switch {
	case len(args) >= 2 && args[0] == "inspecti":
		run = func(s internalapi.ImageManagerService) error { return inspecti(s, args[1:]) }
	case len(args) == 1 && args[0] == "images":
		run = images
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(1)
	}
	service, err := remote.NewRemoteImageService(endpoint(), timeout, nil, nil)
	if err == nil {
		err = run(service)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "crictl: %v\n", err)
		os.Exit(1)
	}
}

// endpoint picks the CRI socket the way crictl does, without its flags.
func endpoint() string {
	for _, env := range []string{"IMAGE_SERVICE_ENDPOINT", "CONTAINER_RUNTIME_ENDPOINT"} {
		if v := os.Getenv(env); v != "" {
			return v
		}
	}
	path := os.Getenv("CRI_CONFIG_FILE")
	if path == "" {
		path = "/etc/crictl.yaml"
	}
	config := map[string]string{}
	data, _ := os.ReadFile(path) // no file: the default
	for _, line := range strings.Split(string(data), "\n") {
		if key, value, ok := strings.Cut(line, ":"); ok {
			config[strings.TrimSpace(key)] = strings.Trim(strings.TrimSpace(value), `"'`)
		}
	}
	for _, key := range []string{"image-endpoint", "runtime-endpoint"} {
		if config[key] != "" {
			return config[key]
		}
	}
	return defaultEndpoint
}

// inspecti prints what `crictl inspecti` prints: one object, or an array for several images.
func inspecti(service internalapi.ImageManagerService, refs []string) error {
	var result []map[string]any
	for _, ref := range refs {
		r, err := service.ImageStatus(context.Background(), &runtimeapi.ImageSpec{Image: ref}, true)
		if err != nil {
			return fmt.Errorf("image status for %q request: %w", ref, err)
		}
		if r.Image == nil {
			return fmt.Errorf("no such image %q present", ref)
		}
		statusJSON, err := (&jsonpb.Marshaler{EmitDefaults: true}).MarshalToString(r.Image)
		if err != nil {
			return err
		}
		var status map[string]any
		if err := json.Unmarshal([]byte(statusJSON), &status); err != nil {
			return err
		}
		entry := map[string]any{"status": status}
		for key, value := range r.Info { // verbose info: JSON objects inlined, like crictl
			var object map[string]any
			if strings.HasPrefix(value, "{") && json.Unmarshal([]byte(value), &object) == nil {
				entry[key] = object
			} else {
				entry[key] = strings.Trim(value, `"`)
			}
		}
		result = append(result, entry)
	}
	var out any = result
	if len(result) == 1 {
		out = result[0]
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(data))
	return nil
}

// images prints crictl's default `crictl images` table, sorted as crictl sorts it.
func images(service internalapi.ImageManagerService) error {
	list, err := service.ListImages(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("listing images: %w", err)
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if len(a.RepoTags) > 0 && len(b.RepoTags) > 0 {
			return a.RepoTags[0] < b.RepoTags[0]
		}
		if len(a.RepoDigests) > 0 && len(b.RepoDigests) > 0 {
			return a.RepoDigests[0] < b.RepoDigests[0]
		}
		return a.Id < b.Id
	})
	w := tabwriter.NewWriter(os.Stdout, 20, 1, 3, ' ', 0)
	fmt.Fprintln(w, "IMAGE\tTAG\tIMAGE ID\tSIZE")
	for _, image := range list {
		name := "<none>" // for untagged images: the repository of the first digest
		if len(image.RepoDigests) > 0 {
			name, _, _ = strings.Cut(image.RepoDigests[0], "@")
		}
		id := strings.TrimPrefix(image.Id, "sha256:")
		if len(id) > 13 {
			id = id[:13]
		}
		tags := image.RepoTags
		if len(tags) == 0 {
			tags = []string{"<none>:<none>"}
		}
		for _, repoTag := range tags {
			repo, tag := repoTag, "<none>"
			if i := strings.LastIndex(repoTag, ":"); i >= 0 {
				repo, tag = repoTag[:i], repoTag[i+1:]
			}
			if repo == "<none>" {
				repo = name
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", repo, tag, id, humanSize(image.Size_))
		}
	}
	return w.Flush()
}

// humanSize is docker/go-units HumanSizeWithPrecision(size, 3), which crictl uses.
func humanSize(size uint64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	value, i := float64(size), 0
	for value >= 1000 && i < len(units)-1 {
		value /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", value, units[i])
}
