;; The kernels of the bit layer with WebAssembly SIMD: float32 activations to bits
;; (pack, nonFinite) and per-unit counts of packed rows (columns).
;; Compiled by `npm run build:wasm` into kernel-bytes.ts (the bytes, base64); a test checks
;; that the committed bytes are this file's. See kernel.ts for how they are called.
;;
;; Packing: bit j of word w of a row is set when value 32w + j of the row is > t (f32.gt:
;; NaN is off, -0 is not > 0). Rows start on a word; bits past `units` in a row's last word are 0.
(module
  (memory (export "memory") 1)

  ;; Packs $rows rows of $units float32 values at byte $in into words at byte $out. Returns
  ;; 1 when some value may be non-finite (its magnitude's bits reach 0x7f800000: the caller
  ;; then counts them with nonFinite), else 0; the largest magnitude is kept on the way.
  (func (export "pack") (param $in i32) (param $rows i32) (param $units i32) (param $out i32) (param $t f32) (result i32)
    (local $tv v128) (local $abs v128) (local $x v128) (local $ma v128) (local $mb v128)
    (local $r i32) (local $p i32) (local $rowEnd i32) (local $word i32) (local $shift i32) (local $big i32)
    (local.set $tv (f32x4.splat (local.get $t)))
    (local.set $abs (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
    (local.set $p (local.get $in))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $rowEnd (i32.add (local.get $p) (i32.shl (local.get $units) (i32.const 2))))
        ;; whole words: 32 values, eight vectors
        (block $fullDone
          (loop $full
            (br_if $fullDone (i32.gt_u (i32.add (local.get $p) (i32.const 128)) (local.get $rowEnd)))
            (local.set $x (v128.load (local.get $p)))
            (local.set $word (i32x4.bitmask (f32x4.gt (local.get $x) (local.get $tv))))
            (local.set $ma (i32x4.max_s (local.get $ma) (v128.and (local.get $x) (local.get $abs))))
            (local.set $x (v128.load offset=16 (local.get $p)))
            (local.set $word (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.gt (local.get $x) (local.get $tv))) (i32.const 4))))
            (local.set $mb (i32x4.max_s (local.get $mb) (v128.and (local.get $x) (local.get $abs))))
            (local.set $x (v128.load offset=32 (local.get $p)))
            (local.set $word (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.gt (local.get $x) (local.get $tv))) (i32.const 8))))
            (local.set $ma (i32x4.max_s (local.get $ma) (v128.and (local.get $x) (local.get $abs))))
            (local.set $x (v128.load offset=48 (local.get $p)))
            (local.set $word (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.gt (local.get $x) (local.get $tv))) (i32.const 12))))
            (local.set $mb (i32x4.max_s (local.get $mb) (v128.and (local.get $x) (local.get $abs))))
            (local.set $x (v128.load offset=64 (local.get $p)))
            (local.set $word (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.gt (local.get $x) (local.get $tv))) (i32.const 16))))
            (local.set $ma (i32x4.max_s (local.get $ma) (v128.and (local.get $x) (local.get $abs))))
            (local.set $x (v128.load offset=80 (local.get $p)))
            (local.set $word (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.gt (local.get $x) (local.get $tv))) (i32.const 20))))
            (local.set $mb (i32x4.max_s (local.get $mb) (v128.and (local.get $x) (local.get $abs))))
            (local.set $x (v128.load offset=96 (local.get $p)))
            (local.set $word (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.gt (local.get $x) (local.get $tv))) (i32.const 24))))
            (local.set $ma (i32x4.max_s (local.get $ma) (v128.and (local.get $x) (local.get $abs))))
            (local.set $x (v128.load offset=112 (local.get $p)))
            (local.set $word (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.gt (local.get $x) (local.get $tv))) (i32.const 28))))
            (local.set $mb (i32x4.max_s (local.get $mb) (v128.and (local.get $x) (local.get $abs))))
            (i32.store (local.get $out) (local.get $word))
            (local.set $p (i32.add (local.get $p) (i32.const 128)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (br $full)))
        ;; the row's last, partial word: vectors while four values remain, then one by one
        (if (i32.lt_u (local.get $p) (local.get $rowEnd))
          (then
            (local.set $word (i32.const 0))
            (local.set $shift (i32.const 0))
            (block $vecDone
              (loop $vec
                (br_if $vecDone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $rowEnd)))
                (local.set $x (v128.load (local.get $p)))
                (local.set $word
                  (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.gt (local.get $x) (local.get $tv))) (local.get $shift))))
                (local.set $ma (i32x4.max_s (local.get $ma) (v128.and (local.get $x) (local.get $abs))))
                (local.set $shift (i32.add (local.get $shift) (i32.const 4)))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (br $vec)))
            (block $oneDone
              (loop $one
                (br_if $oneDone (i32.ge_u (local.get $p) (local.get $rowEnd)))
                (local.set $word
                  (i32.or (local.get $word)
                    (i32.shl (f32.gt (f32.load (local.get $p)) (local.get $t)) (local.get $shift))))
                (local.set $big
                  (i32.or (local.get $big)
                    (i32.ge_u (i32.and (i32.load (local.get $p)) (i32.const 0x7fffffff)) (i32.const 0x7f800000))))
                (local.set $shift (i32.add (local.get $shift) (i32.const 1)))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (br $one)))
            (i32.store (local.get $out) (local.get $word))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))
    (local.set $ma (i32x4.max_s (local.get $ma) (local.get $mb)))
    (i32.or (local.get $big)
      (v128.any_true (i32x4.ge_s (local.get $ma) (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000)))))

  ;; Number of non-finite values (NaN, +-Infinity) among the $n float32 values at byte $in.
  ;; A first pass keeps the largest magnitude's bits, four vectors at a time; only when it is
  ;; non-finite are the values counted one by one.
  (func (export "nonFinite") (param $in i32) (param $n i32) (result i32)
    (local $p i32) (local $end i32) (local $vend i32) (local $abs v128) (local $a v128) (local $b v128)
    (local $m i32) (local $count i32)
    (local.set $abs (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
    (local.set $end (i32.add (local.get $in) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $in) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (local.set $p (local.get $in))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $p) (local.get $vend)))
        (local.set $a (i32x4.max_s (local.get $a)
          (i32x4.max_s (v128.and (v128.load offset=0 (local.get $p)) (local.get $abs))
                       (v128.and (v128.load offset=16 (local.get $p)) (local.get $abs)))))
        (local.set $b (i32x4.max_s (local.get $b)
          (i32x4.max_s (v128.and (v128.load offset=32 (local.get $p)) (local.get $abs))
                       (v128.and (v128.load offset=48 (local.get $p)) (local.get $abs)))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $vec)))
    (local.set $a (i32x4.max_s (local.get $a) (local.get $b)))
    (local.set $m
      (i32.or
        (i32.or (i32x4.extract_lane 0 (local.get $a)) (i32x4.extract_lane 1 (local.get $a)))
        (i32.or (i32x4.extract_lane 2 (local.get $a)) (i32x4.extract_lane 3 (local.get $a)))))
    ;; the values past the last four vectors, and then every value once something is non-finite
    (local.set $p (local.get $vend))
    (if (i32.ge_u (local.get $m) (i32.const 0x7f800000)) (then (local.set $p (local.get $in))))
    (block $countDone
      (loop $count
        (br_if $countDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $count
          (i32.add (local.get $count)
            (i32.ge_u (i32.and (i32.load (local.get $p)) (i32.const 0x7fffffff)) (i32.const 0x7f800000))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $count)))
    (local.get $count))

  ;; Per-bit counts of $vrows rows of $v vectors each at byte $in (a row here may hold
  ;; several packed rows, see kernel.ts), added to the i32x4 counters at byte $counts:
  ;; counter (g, bit) holds, lane by lane, how many rows have that bit set in vector g.
  ;; Bit-sliced, after Harley and Seal: eight rows at a time go through seven carry-save
  ;; adders into ones, twos and fours, and the carry of weight eight ripples into 16
  ;; planes at byte $planes (plane k: bit k of the counts of groups of eight), which hold
  ;; up to 65,535 groups: callers pass fewer than 524,280 rows, and $depth, the planes
  ;; their rows can reach (the bit length of $vrows / 8), which are the ones read back.
  (func (export "columns") (param $in i32) (param $vrows i32) (param $v i32) (param $counts i32) (param $planes i32) (param $depth i32)
    (local $g i32) (local $p i32) (local $stride i32) (local $end i32) (local $fullEnd i32) (local $q i32) (local $k i32)
    (local $bit i32) (local $at i32)
    (local $ones v128) (local $twos v128) (local $fours v128) (local $a v128) (local $b v128) (local $u v128)
    (local $twosA v128) (local $twosB v128) (local $foursA v128) (local $foursB v128) (local $eights v128)
    (local $plane v128) (local $sum v128)
    (local.set $stride (i32.shl (local.get $v) (i32.const 4)))
    (block $columnsDone
      (loop $column
        (br_if $columnsDone (i32.ge_u (local.get $g) (local.get $v)))
        (local.set $ones (v128.const i32x4 0 0 0 0))
        (local.set $twos (v128.const i32x4 0 0 0 0))
        (local.set $fours (v128.const i32x4 0 0 0 0))
        (memory.fill (local.get $planes) (i32.const 0) (i32.const 256))
        (local.set $p (i32.add (local.get $in) (i32.shl (local.get $g) (i32.const 4))))
        (local.set $end (i32.add (local.get $p) (i32.mul (local.get $vrows) (local.get $stride))))
        (local.set $fullEnd (i32.add (local.get $p) (i32.mul (i32.and (local.get $vrows) (i32.const -8)) (local.get $stride))))
        ;; eight rows at a time
        (block $eightDone
          (loop $eight
            (br_if $eightDone (i32.ge_u (local.get $p) (local.get $fullEnd)))
        (local.set $a (v128.load (i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const 0)))))
        (local.set $b (v128.load (i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const 1)))))
        (local.set $u (v128.xor (local.get $ones) (local.get $a)))
        (local.set $twosA (v128.or (v128.and (local.get $ones) (local.get $a)) (v128.and (local.get $u) (local.get $b))))
        (local.set $ones (v128.xor (local.get $u) (local.get $b)))
        (local.set $a (v128.load (i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const 2)))))
        (local.set $b (v128.load (i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const 3)))))
        (local.set $u (v128.xor (local.get $ones) (local.get $a)))
        (local.set $twosB (v128.or (v128.and (local.get $ones) (local.get $a)) (v128.and (local.get $u) (local.get $b))))
        (local.set $ones (v128.xor (local.get $u) (local.get $b)))
        (local.set $u (v128.xor (local.get $twos) (local.get $twosA)))
        (local.set $foursA (v128.or (v128.and (local.get $twos) (local.get $twosA)) (v128.and (local.get $u) (local.get $twosB))))
        (local.set $twos (v128.xor (local.get $u) (local.get $twosB)))
        (local.set $a (v128.load (i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const 4)))))
        (local.set $b (v128.load (i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const 5)))))
        (local.set $u (v128.xor (local.get $ones) (local.get $a)))
        (local.set $twosA (v128.or (v128.and (local.get $ones) (local.get $a)) (v128.and (local.get $u) (local.get $b))))
        (local.set $ones (v128.xor (local.get $u) (local.get $b)))
        (local.set $a (v128.load (i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const 6)))))
        (local.set $b (v128.load (i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const 7)))))
        (local.set $u (v128.xor (local.get $ones) (local.get $a)))
        (local.set $twosB (v128.or (v128.and (local.get $ones) (local.get $a)) (v128.and (local.get $u) (local.get $b))))
        (local.set $ones (v128.xor (local.get $u) (local.get $b)))
        (local.set $u (v128.xor (local.get $twos) (local.get $twosA)))
        (local.set $foursB (v128.or (v128.and (local.get $twos) (local.get $twosA)) (v128.and (local.get $u) (local.get $twosB))))
        (local.set $twos (v128.xor (local.get $u) (local.get $twosB)))
        (local.set $u (v128.xor (local.get $fours) (local.get $foursA)))
        (local.set $eights (v128.or (v128.and (local.get $fours) (local.get $foursA)) (v128.and (local.get $u) (local.get $foursB))))
        (local.set $fours (v128.xor (local.get $u) (local.get $foursB)))
            (call $ripple (local.get $planes) (local.get $eights))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $stride) (i32.const 3))))
            (br $eight)))
        ;; the last rows, one by one: a carry through ones, twos and fours into the planes
        (block $oneDone
          (loop $one
            (br_if $oneDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $a (v128.load (local.get $p)))
            (local.set $b (v128.and (local.get $ones) (local.get $a)))
            (local.set $ones (v128.xor (local.get $ones) (local.get $a)))
            (local.set $a (v128.and (local.get $twos) (local.get $b)))
            (local.set $twos (v128.xor (local.get $twos) (local.get $b)))
            (local.set $b (v128.and (local.get $fours) (local.get $a)))
            (local.set $fours (v128.xor (local.get $fours) (local.get $a)))
            (call $ripple (local.get $planes) (local.get $b))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (br $one)))
        ;; into the counters: bit by bit, all four lanes at once
        (local.set $bit (i32.const 0))
        (local.set $at (i32.add (local.get $counts) (i32.shl (local.get $g) (i32.const 9))))
        (block $bitsDone
          (loop $bits
            (br_if $bitsDone (i32.ge_u (local.get $bit) (i32.const 32)))
            (local.set $sum
              (i32x4.add
                (i32x4.add
                  (v128.and (i32x4.shr_u (local.get $ones) (local.get $bit)) (v128.const i32x4 1 1 1 1))
                  (i32x4.shl (v128.and (i32x4.shr_u (local.get $twos) (local.get $bit)) (v128.const i32x4 1 1 1 1)) (i32.const 1)))
                (i32x4.shl (v128.and (i32x4.shr_u (local.get $fours) (local.get $bit)) (v128.const i32x4 1 1 1 1)) (i32.const 2))))
            (local.set $k (i32.const 0))
            (local.set $q (local.get $planes))
            (block $planesDone
              (loop $plane
                (br_if $planesDone (i32.ge_u (local.get $k) (local.get $depth)))
                (local.set $sum
                  (i32x4.add (local.get $sum)
                    (i32x4.shl (v128.and (i32x4.shr_u (v128.load (local.get $q)) (local.get $bit)) (v128.const i32x4 1 1 1 1))
                      (i32.add (local.get $k) (i32.const 3)))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $plane)))
            (v128.store (local.get $at) (i32x4.add (v128.load (local.get $at)) (local.get $sum)))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (local.set $bit (i32.add (local.get $bit) (i32.const 1)))
            (br $bits)))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $column))))

  ;; Adds a carry of weight eight into the planes at byte $q (a ripple: plane k absorbs it or passes it on).
  (func $ripple (param $q i32) (param $carry v128)
    (local $plane v128) (local $end i32)
    (local.set $end (i32.add (local.get $q) (i32.const 256)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (v128.any_true (local.get $carry))))
        (br_if $done (i32.ge_u (local.get $q) (local.get $end)))
        (local.set $plane (v128.load (local.get $q)))
        (v128.store (local.get $q) (v128.xor (local.get $plane) (local.get $carry)))
        (local.set $carry (v128.and (local.get $carry) (local.get $plane)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $next))))
)
