;; The packing kernel: float32 activations to bits with WebAssembly SIMD.
;; Compiled by `npm run build:wasm` into pack-kernel.ts (the bytes, base64); a test checks
;; that the committed bytes are this file's. See pack-simd.ts for how it is called.
;;
;; Bit j of word w of a row is set when value 32w + j of the row is > t (f32.gt: NaN is
;; off, -0 is not > 0). Rows start on a word; bits past `units` in a row's last word are 0.
(module
  (memory (export "memory") 1)

  ;; Packs $rows rows of $units float32 values at byte $in into words at byte $out.
  (func (export "pack") (param $in i32) (param $rows i32) (param $units i32) (param $out i32) (param $t f32)
    (local $tv v128) (local $r i32) (local $p i32) (local $rowEnd i32) (local $wordEnd i32)
    (local $word i32) (local $shift i32)
    (local.set $tv (f32x4.splat (local.get $t)))
    (local.set $p (local.get $in))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $rowEnd (i32.add (local.get $p) (i32.shl (local.get $units) (i32.const 2))))
        ;; whole words: 32 values, eight vectors
        (block $fullDone
          (loop $full
            (br_if $fullDone (i32.gt_u (i32.add (local.get $p) (i32.const 128)) (local.get $rowEnd)))
            (i32.store (local.get $out)
              (i32.or
                (i32.or
                  (i32.or
                    (i32x4.bitmask (f32x4.gt (v128.load (local.get $p)) (local.get $tv)))
                    (i32.shl (i32x4.bitmask (f32x4.gt (v128.load offset=16 (local.get $p)) (local.get $tv))) (i32.const 4)))
                  (i32.or
                    (i32.shl (i32x4.bitmask (f32x4.gt (v128.load offset=32 (local.get $p)) (local.get $tv))) (i32.const 8))
                    (i32.shl (i32x4.bitmask (f32x4.gt (v128.load offset=48 (local.get $p)) (local.get $tv))) (i32.const 12))))
                (i32.or
                  (i32.or
                    (i32.shl (i32x4.bitmask (f32x4.gt (v128.load offset=64 (local.get $p)) (local.get $tv))) (i32.const 16))
                    (i32.shl (i32x4.bitmask (f32x4.gt (v128.load offset=80 (local.get $p)) (local.get $tv))) (i32.const 20)))
                  (i32.or
                    (i32.shl (i32x4.bitmask (f32x4.gt (v128.load offset=96 (local.get $p)) (local.get $tv))) (i32.const 24))
                    (i32.shl (i32x4.bitmask (f32x4.gt (v128.load offset=112 (local.get $p)) (local.get $tv))) (i32.const 28))))))
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
                (local.set $word
                  (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.gt (v128.load (local.get $p)) (local.get $tv))) (local.get $shift))))
                (local.set $shift (i32.add (local.get $shift) (i32.const 4)))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (br $vec)))
            (block $oneDone
              (loop $one
                (br_if $oneDone (i32.ge_u (local.get $p) (local.get $rowEnd)))
                (local.set $word
                  (i32.or (local.get $word)
                    (i32.shl (f32.gt (f32.load (local.get $p)) (local.get $t)) (local.get $shift))))
                (local.set $shift (i32.add (local.get $shift) (i32.const 1)))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (br $one)))
            (i32.store (local.get $out) (local.get $word))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

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
    (local.get $count)))
