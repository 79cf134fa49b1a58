; all-or-nothing-gimp3.scm — Script-Fu side of all-or-nothing-test.sh for
; GIMP 3.0.  Each case makes plug-in-srgan fail in one way, checks that the
; call failed and that the canvas and every layer kept their size and
; offsets, and exports every layer before and after (DIR/CASE-before-K.png,
; DIR/CASE-after-K.png) for the shell script to compare pixel by pixel.
; Prints "SRGAN-TEST ok|FAIL <name>" lines.

(define (aon-check name ok)
  (gimp-message (string-append "SRGAN-TEST " (if ok "ok " "FAIL ") name)))

(define (aon-layers image)
  (vector->list (car (gimp-image-get-layers image))))

; Canvas size, then each layer's size and offsets, as one string.
(define (aon-shape image)
  (apply string-append
         (number->string (car (gimp-image-get-width image))) "x"
         (number->string (car (gimp-image-get-height image)))
         (map (lambda (layer)
                (let ((offsets (gimp-drawable-get-offsets layer)))
                  (string-append " " (number->string (car (gimp-drawable-get-width layer)))
                                 "x" (number->string (car (gimp-drawable-get-height layer)))
                                 "+" (number->string (car offsets))
                                 "+" (number->string (cadr offsets)))))
              (aon-layers image))))

; Layer K alone: a duplicate of the image without the other layers,
; cropped to it (GIMP 3 exports images, not drawables).
(define (aon-export image dir name tag)
  (let ((n (length (aon-layers image))))
    (let loop ((k 0))
      (if (< k n)
          (let* ((dup (car (gimp-image-duplicate image)))
                 (layers (car (gimp-image-get-layers dup))))
            (let remove ((j 0))
              (if (< j n)
                  (begin
                    (if (not (= j k)) (gimp-image-remove-layer dup (vector-ref layers j)))
                    (remove (+ j 1)))))
            (gimp-image-resize-to-layers dup)
            (gimp-file-save RUN-NONINTERACTIVE dup
                            (string-append dir "/" name "-" tag "-" (number->string k) ".png") -1)
            (gimp-image-delete dup)
            (loop (+ k 1)))))))

; Runs plug-in-srgan on the vector LAYERS, which must fail and change nothing.
(define (aon-case dir name image layers tile-size threads)
  (let ((shape (aon-shape image)))
    (aon-export image dir name "before")
    (aon-check (string-append name ": refused")
               (not (catch #f (plug-in-srgan #:run-mode RUN-NONINTERACTIVE #:image image
                                             #:drawables layers #:tile-size tile-size
                                             #:threads threads)
                           #t)))
    (aon-check (string-append name ": canvas and layers unchanged (" shape ")")
               (equal? shape (aon-shape image)))
    (aon-export image dir name "after")
    (gimp-image-delete image)))

(define (aon-load path)
  (car (gimp-file-load RUN-NONINTERACTIVE path)))

(define (aon-first-layer image)
  (vector-ref (car (gimp-image-get-layers image)) 0))

(define (aon-add-layer image width height)
  (let ((layer (car (gimp-layer-new image "wide" width height RGB-IMAGE 100
                                    LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer image layer 0 -1)
    (gimp-drawable-fill layer FILL-WHITE)
    layer))

; The checks that fail before any pixel is computed.
(define (aon-checks fixtures dir)
  ; Indexed images are refused.
  (let ((image (aon-load (string-append fixtures "/rgb8.png"))))
    (gimp-image-convert-indexed image CONVERT-DITHER-NONE CONVERT-PALETTE-GENERATE
                                16 FALSE FALSE "")
    (aon-case dir "indexed" image (vector (aon-first-layer image)) 0 1))
  ; A canvas of 131073 pixels would be 524292 once scaled 4x, over GIMP's
  ; limit of 524288.
  (let* ((image (car (gimp-image-new 131073 1 RGB)))
         (layer (aon-add-layer image 131073 1)))
    (aon-case dir "canvas-too-large" image (vector layer) 0 1))
  ; A small canvas, but another layer (not a chosen one) too wide once
  ; scaled: GIMP would have to scale it too.
  (let* ((image (aon-load (string-append fixtures "/rgb8.png")))
         (chosen (aon-first-layer image)))
    (aon-add-layer image 131073 1)
    (aon-case dir "layer-too-large" image (vector chosen) 0 1))
  ; With the test profile's gimprc (tile-cache-size 64M) the core may use
  ; 32 MiB: tile size 256 fits the first chosen layer (23x17) but not the
  ; second (256x256, over 100 MiB of buffers): refused before either is
  ; computed.
  (let* ((image (aon-load (string-append fixtures "/rgb8.png")))
         (small (aon-first-layer image))
         (big (aon-add-layer image 256 256)))
    (aon-case dir "memory" image (vector small big) 256 1))
  (gimp-message "SRGAN-TEST END"))

; With SRGAN_TEST_FAIL_AFTER_TILES=6 in GIMP's environment: two chosen
; layers, 16-pixel tiles cut each 23x17 layer into 4; the first layer is
; upscaled whole, then the second layer's third tile fails, half-way.
(define (aon-halfway fixtures dir)
  (let* ((image (aon-load (string-append fixtures "/rgb8.png")))
         (base (aon-first-layer image))
         (other (car (gimp-layer-copy base))))
    (gimp-image-insert-layer image other 0 -1)
    (gimp-drawable-invert other FALSE)   ; different pixels in each layer
    (aon-case dir "halfway" image (vector base other) 16 1))
  (gimp-message "SRGAN-TEST END"))
