#!/bin/sh
# Feed the resolved spec to the generators users are likely to run, compile or
# type-check what each produces, and lint the spec. Everything lands in
# downstream/.tools (pinned tools) and downstream/out (generated code), both ignored.
# Usage: downstream/run.sh [python|all]   (python: only the Python generators)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
spec="$root/openapi/kling-image-expansion.yaml"
tools="$here/.tools"
out="$here/out"
venv="$tools/venv"
scope=${1:-all}
. "$here/versions.env"

mkdir -p "$tools" "$out"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.pins" 2>/dev/null)" != "$PY_PINS" ]; then
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $PY_PINS
  echo "$PY_PINS" > "$venv/.pins"
fi

step() { printf '== %s\n' "$*"; }

step "openapi-python-client"
rm -rf "$out/opc"
PATH="$root/.venv/bin:$PATH" "$root/.venv/bin/openapi-python-client" generate --path "$spec" \
  --config "$root/openapi/generator.yaml" --meta none \
  --output-path "$out/opc/kling_expand_api" >/dev/null
(cd "$out/opc" && "$venv/bin/mypy" --strict --no-incremental kling_expand_api)

step "datamodel-code-generator (pydantic v2)"
rm -rf "$out/dcg" && mkdir -p "$out/dcg"
# Not --union-mode left_to_right (which would make `TaskStatus | str` pick the enum):
# datamodel-code-generator 0.97 also puts it on plain `X | None` fields, where pydantic
# refuses it at import. See README.md for what the status reads as instead.
"$venv/bin/datamodel-codegen" --input "$spec" --input-file-type openapi \
  --output-model-type pydantic_v2.BaseModel --target-python-version 3.11 \
  --use-title-as-name --use-standard-collections --use-union-operator --field-constraints \
  --formatters black isort --output "$out/dcg/kling_models.py"
cp "$here/check_dcg.py" "$out/dcg/"
(cd "$out/dcg" && "$venv/bin/mypy" --config-file "$here/mypy-pydantic.ini" --no-incremental kling_models.py check_dcg.py \
  && "$venv/bin/python" check_dcg.py)

[ "$scope" = python ] && exit 0

if ! command -v npm >/dev/null; then
  echo "make downstream needs Node.js and npm for the TypeScript generators and the linters"; exit 2
fi
if ! cmp -s "$here/package-lock.json" "$tools/package-lock.json" || [ ! -d "$tools/node_modules" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$tools/"
  npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error
fi
nbin="$tools/node_modules/.bin"

step "openapi-typescript"
rm -rf "$out/ots" && mkdir -p "$out/ots"
# --default-non-nullable false: a field with a default stays optional in request types.
"$nbin/openapi-typescript" "$spec" --redocly "$here/redocly.yaml" --default-non-nullable false -o "$out/ots/schema.ts" >/dev/null
cp "$here/check_ots.ts" "$out/ots/"

step "@hey-api/openapi-ts"
rm -rf "$out/hey"
(cd "$here" && "$nbin/openapi-ts" -f "$here/openapi-ts.config.mjs" >/dev/null)
cp "$here/check_hey.ts" "$out/hey/"

if command -v java >/dev/null; then
  step "openapi-generator (typescript-fetch, python)"
  rm -rf "$out/oag-ts" "$out/oag-py"
  "$venv/bin/openapi-generator-cli" generate -c "$here/openapi-generator-ts.yaml" \
    -i "$spec" -g typescript-fetch -o "$out/oag-ts" >/dev/null
  cp "$here/check_oag.ts" "$out/oag-ts/"
  "$venv/bin/openapi-generator-cli" generate -c "$here/openapi-generator-py.yaml" \
    -i "$spec" -g python -o "$out/oag-py" >/dev/null
  (cd "$out/oag-py" && "$venv/bin/mypy" --no-incremental --config-file= --ignore-missing-imports kling_oag)
  ts_dirs="ots hey oag-ts"
else
  echo "openapi-generator skipped: no java on PATH (Debian: apt-get install default-jre-headless)"
  ts_dirs="ots hey"
fi

step "tsc --strict"
cp "$here/tsconfig.json" "$out/"
"$nbin/tsc" -p "$out/tsconfig.json"

step "spectral (spectral:oas), fails above info"
"$nbin/spectral" lint --ruleset "$here/.spectral.yaml" --fail-severity=warn "$spec" \
  || { echo "spectral: findings above info"; exit 1; }
step "redocly (recommended), fails above info"
"$nbin/redocly" lint --config "$here/redocly.yaml" --format=json "$spec" 2>/dev/null > "$out/redocly.json" || true
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print("redocly:", t); sys.exit(1 if t["errors"] or t["warnings"] else 0)' "$out/redocly.json"
