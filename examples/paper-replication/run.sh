#!/bin/sh
# The runs behind docs/findings.md, two at a time (one per core), skipping results that
# exist. About 75 minutes on the 2-core machine of docs/performance.md.
#   sh examples/paper-replication/run.sh [main|schedules|fashion|all|depth] [results dir]
set -e
part=${1:-all}
out=${2:-examples/paper-replication/results}
depthrun() {
  echo "--family $1 --seed $2 --blocks $3 --schedule step --epochs 1 --every 0.05 --early 10 --out $out/depth"
}
runs() {
  case $1 in
    main) for seed in 1 2 3; do for f in resnet plain toy; do echo "--family $f --seed $seed"; done; done ;;
    schedules) for s in step cyclic; do for f in resnet plain; do echo "--family $f --seed 1 --schedule $s"; done; done ;;
    fashion) for f in resnet plain toy; do echo "--family $f --seed 1 --dataset fashion"; done ;;
    # entropy against layer over 1-5 blocks per stage, the step schedule over one epoch,
    # measured every 0.05 epoch (into results/depth): resnet and plain seeds 1 and 2, toy
    # seed 1, then resnet and plain seeds 3 and 4; about 2 hours
    depth)
      for seed in 1 2; do for b in 5 4 3 2 1; do for f in resnet plain; do depthrun $f $seed $b; done; done; done
      for b in 5 4 3 2 1; do depthrun toy 1 $b; done
      for seed in 3 4; do for b in 5 4 3 2 1; do for f in resnet plain; do depthrun $f $seed $b; done; done; done ;;
    all) runs main; runs schedules; runs fashion ;;
  esac
}
runs "$part" | while read -r line; do
  case "$line" in *--out*) echo "$line" ;; *) echo "$line --out $out" ;; esac
done | xargs -P 2 -I {} sh -c 'node examples/paper-replication/train.mjs {} 2>&1 | grep -v "^=\|Hi, looks like\|tfjs-node\|^$"'
