#!/bin/sh
# The runs behind docs/findings.md, two at a time (one per core), skipping results that
# exist. About 75 minutes on the 2-core machine of docs/performance.md.
#   sh examples/paper-replication/run.sh [main|schedules|fashion|all] [results dir]
set -e
part=${1:-all}
out=${2:-examples/paper-replication/results}
runs() {
  case $1 in
    main) for seed in 1 2 3; do for f in resnet plain toy; do echo "--family $f --seed $seed"; done; done ;;
    schedules) for s in step cyclic; do for f in resnet plain; do echo "--family $f --seed 1 --schedule $s"; done; done ;;
    fashion) for f in resnet plain toy; do echo "--family $f --seed 1 --dataset fashion"; done ;;
    all) runs main; runs schedules; runs fashion ;;
  esac
}
runs "$part" | while read -r line; do
  echo "$line --out $out"
done | xargs -P 2 -I {} sh -c 'node examples/paper-replication/train.mjs {} 2>&1 | grep -v "^=\|Hi, looks like\|tfjs-node\|^$"'
