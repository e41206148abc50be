#!/bin/bash
# Record the benchmark input: strace -f -tt -T of a find | xargs md5sum
# pipeline over /usr/share, /usr/include and /usr/lib, cut to its first
# 1,000,000 lines (a cut log is what users paste, and the parser must cope).
# Also writes the 200k and 600k line prefixes used by the memory check, and
# 300k-line logs of the same workload under strace -f -r -T and -f -ttt -T,
# for the speed of the other timestamp forms.
# Needs strace and ptrace; writes into benchmarks/data/ (not committed).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
data="$here/data"
mkdir -p "$data"
full="$data/find-md5sum-full.log"
strace -f -tt -T -o "$full" \
  sh -c 'find /usr/share /usr/include /usr/lib -type f -print0 | xargs -0 md5sum > /dev/null'
head -n 1000000 "$full" > "$data/find-md5sum-1m.log"
head -n 200000 "$full" > "$data/find-md5sum-200k.log"
head -n 600000 "$full" > "$data/find-md5sum-600k.log"
rm "$full"
for flag in -r -ttt; do
  strace -f "$flag" -T -o "$full" \
    sh -c 'find /usr/share /usr/include /usr/lib -type f -print0 | xargs -0 md5sum > /dev/null'
  head -n 300000 "$full" > "$data/find-md5sum-300k$flag.log"
  rm "$full"
done
wc -l "$data"/find-md5sum-*.log
