#!/usr/bin/env bash
# The comments API as a user would try it with curl: several comments on two contents, then
# both lists (oldest first), a bad request and the paging. Exits non-zero on any surprise.
# Usage: API_URL=http://127.0.0.1:8000 apps/api_rest/scripts/walkthrough.sh
set -euo pipefail
api="${API_URL:-http://127.0.0.1:8000}"
# Fresh content ids per run, so the lists hold only this run's comments.
a=$(( (RANDOM << 15 | RANDOM) + 1000 )) b=$((a + 1))

step() { printf '\n$ %s\n' "$*"; }
post() {
  step curl -sS -X POST "$api/api/comment/new" -H 'Content-Type: application/json' -d "$1"
  out=$(curl -sS -w '\n%{http_code}' -X POST "$api/api/comment/new" -H 'Content-Type: application/json' -d "$1")
  echo "${out%$'\n'*}"
  [ "${out##*$'\n'}" = "$2" ] || { echo "walkthrough: expected HTTP $2, got ${out##*$'\n'}" >&2; exit 1; }
}
get() {
  step curl -sS "$api$1"
  out=$(curl -sS -w '\n%{http_code}' "$api$1")
  body="${out%$'\n'*}"
  echo "$body"
  [ "${out##*$'\n'}" = 200 ] || { echo "walkthrough: GET $1 answered ${out##*$'\n'}" >&2; exit 1; }
}
expect() { grep -q -- "$1" <<<"$body" || { echo "walkthrough: expected $1 in the answer" >&2; exit 1; }; }

get /health
post "{\"email\": \"alice@example.com\", \"comment\": \"first comment on $a\", \"content_id\": $a}" 201
post "{\"email\": \"bob@example.com\", \"comment\": \"second comment on $a\", \"content_id\": $a}" 201
post "{\"email\": \"carol@example.com\", \"comment\": \"third comment on $a\", \"content_id\": $a}" 201
post "{\"email\": \"dave@example.com\", \"comment\": \"only comment on $b\", \"content_id\": $b}" 201
post '{"email": "not-an-email", "comment": "", "content_id": -1}' 422

get "/api/comment/list/$a"
[ "$(grep -o '"id":' <<<"$body" | wc -l)" = 3 ] || { echo "walkthrough: expected 3 comments on $a" >&2; exit 1; }
first=$(grep -ob "first comment" <<<"$body" | cut -d: -f1)
third=$(grep -ob "third comment" <<<"$body" | cut -d: -f1)
[ "$first" -lt "$third" ] || { echo "walkthrough: comments are not oldest first" >&2; exit 1; }
get "/api/comment/list/$b"
expect "only comment on $b"
get "/api/comment/list/$a?limit=2"
expect '"next_cursor":[0-9]'
echo; echo "walkthrough: ok"
