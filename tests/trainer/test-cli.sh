#!/bin/sh
# test-cli.sh — srgan-train as a user runs it: bad arguments give a clear
# error and no output file; a short run writes a checkpoint and an export;
# SIGINT during a run saves a checkpoint and exits 130; --resume continues
# from the saved step; --export-only re-exports a checkpoint.
#   test-cli.sh path/to/srgan-train path/to/test-trainer-train
# Photos: $SRGAN_TRAIN_PHOTOS, else tests/data/photos, else synthetic ones
# (test-trainer-train --make-photos).
set -u
train=$1
maker=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/srgan-train-cli-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL $*"; exit 1; }
# A refused command line: srgan-train exits 1 after one "srgan-train: ..."
# line (train/main.c); any other status, a crash's 128+signal above all,
# is a failure, not the expected refusal.
refused() {  # what-it-is args...: sets $out to the output
    what=$1; shift
    status=0
    out=$("$train" "$@" 2>&1) || status=$?
    [ "$status" -ne 0 ] || fail "$what accepted"
    [ "$status" -eq 1 ] || fail "$what: exit status $status, expected 1: $out"
}

photos=${SRGAN_TRAIN_PHOTOS:-$(dirname "$0")/../data/photos}
if [ ! -d "$photos" ]; then
    photos=$dir/photos
    "$maker" --make-photos "$photos" || fail "could not make synthetic photos"
fi
echo "photos from $photos"

# 0. the phase of a resumed run is the checkpoint's
"$train" --data "$photos" --blocks 1 --channels 8 --batch 2 --crop 32 --steps 1 \
    --checkpoint "$dir/p.ckpt" > /dev/null 2>&1 || fail "one-step run"
refused "resuming an srresnet checkpoint as srgan" \
    --data "$photos" --phase srgan --resume --checkpoint "$dir/p.ckpt"
echo "$out" | grep -q -- "--init" || fail "phase mismatch error does not point to --init: $out"


small="--blocks 1 --channels 8 --batch 2 --crop 32 --log-every 1"

# 1. bad input: clear error, nothing written
refused "a missing folder" --data "$dir/nonexistent" --checkpoint "$dir/bad.ckpt"
echo "$out" | grep -q "nonexistent" || fail "error does not name the folder: $out"
[ ! -e "$dir/bad.ckpt" ] || fail "a checkpoint was written after an error"
refused "a bad phase" --data "$photos" --phase bogus
echo "$out" | grep -q "bogus" || fail "error does not name the bad phase: $out"
# shellcheck disable=SC2086  # $small is a list of options
refused "a vgg loss without --vgg" --data "$photos" --content vgg54 $small
echo "$out" | grep -q -- "--vgg" || fail "error does not mention --vgg: $out"
echo "ok   bad arguments rejected with clear errors"

# 2. a short run: checkpoint + export
"$train" --data "$photos" $small --steps 4 --checkpoint "$dir/a.ckpt" \
    --export "$dir/a.safetensors" > "$dir/a.log" 2>&1 || { cat "$dir/a.log"; fail "short run"; }
[ -s "$dir/a.ckpt" ] && [ -s "$dir/a.safetensors" ] || fail "no checkpoint or export"
grep -q "step 4/4" "$dir/a.log" || fail "no progress line"
grep -q "ETA" "$dir/a.log" || fail "no ETA"
echo "ok   short run wrote a checkpoint and an export"

# 3. SIGINT: checkpoint saved, status 130, resumable
"$train" --data "$photos" $small --steps 100000 --checkpoint "$dir/b.ckpt" > "$dir/b.log" 2>&1 &
pid=$!
i=0
until grep -q "^step 3/" "$dir/b.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 600 ] || { kill $pid; fail "no progress within 60 s"; }
    sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || { cat "$dir/b.log"; fail "SIGINT gave status $rc, expected 130"; }
grep -q "interrupted: checkpoint saved" "$dir/b.log" || fail "no save message"
saved=$(sed -n 's/.*saved to .* at step \([0-9]*\).*/\1/p' "$dir/b.log")
[ -n "$saved" ] && [ "$saved" -ge 3 ] || fail "saved step '$saved'"
echo "ok   SIGINT saved a checkpoint at step $saved and exited 130"

next=$((saved + 2))
"$train" --data "$photos" $small --steps $next --resume --checkpoint "$dir/b.ckpt" > "$dir/c.log" 2>&1 \
    || { cat "$dir/c.log"; fail "resume"; }
grep -q "resumed .* at step $saved" "$dir/c.log" || { cat "$dir/c.log"; fail "did not resume at $saved"; }
grep -q "^step $next/$next" "$dir/c.log" || fail "did not continue to $next"
echo "ok   --resume continued from step $saved to $next"

# 4. --export-only
"$train" --export-only --checkpoint "$dir/b.ckpt" --export "$dir/b.safetensors" > /dev/null \
    && [ -s "$dir/b.safetensors" ] || fail "--export-only"
echo "ok   --export-only"
