; all-or-nothing-gimp2.scm — Script-Fu side of all-or-nothing-test.sh for
; GIMP 2.10.  Each case makes plug-in-srgan fail in one way, checks that the
; call failed and that the canvas and every layer kept their size and
; offsets, and exports every layer before and after (DIR/CASE-before-K.png,
; DIR/CASE-after-K.png) for the shell script to compare pixel by pixel.
; Prints "SRGAN-TEST ok|FAIL <name>" lines.

(define (aon-check name ok)
  (gimp-message (string-append "SRGAN-TEST " (if ok "ok " "FAIL ") name)))

(define (aon-layers image)
  (vector->list (cadr (gimp-image-get-layers image))))

; Canvas size, then each layer's size and offsets, as one string.
(define (aon-shape image)
  (apply string-append
         (number->string (car (gimp-image-width image))) "x"
         (number->string (car (gimp-image-height image)))
         (map (lambda (layer)
                (let ((offsets (gimp-drawable-offsets layer)))
                  (string-append " " (number->string (car (gimp-drawable-width layer)))
                                 "x" (number->string (car (gimp-drawable-height layer)))
                                 "+" (number->string (car offsets))
                                 "+" (number->string (cadr offsets)))))
              (aon-layers image))))

(define (aon-export image dir name tag)
  (let loop ((layers (aon-layers image)) (k 0))
    (if (pair? layers)
        (let ((path (string-append dir "/" name "-" tag "-" (number->string k) ".png")))
          (gimp-file-save RUN-NONINTERACTIVE image (car layers) path path)
          (loop (cdr layers) (+ k 1))))))

; Runs plug-in-srgan on LAYER, which must fail and change nothing.
(define (aon-case dir name image layer tile-size threads)
  (let ((shape (aon-shape image)))
    (aon-export image dir name "before")
    (aon-check (string-append name ": refused")
               (not (catch #f (plug-in-srgan RUN-NONINTERACTIVE image layer "x4"
                                             tile-size threads)
                           #t)))
    (aon-check (string-append name ": canvas and layers unchanged (" shape ")")
               (equal? shape (aon-shape image)))
    (aon-export image dir name "after")
    (gimp-image-delete image)))

(define (aon-load path)
  (car (gimp-file-load RUN-NONINTERACTIVE path path)))

(define (aon-add-layer image width height)
  (let ((layer (car (gimp-layer-new image width height RGB-IMAGE "wide" 100
                                    LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer image layer 0 -1)
    (gimp-drawable-fill layer FILL-WHITE)
    layer))

; The checks that fail before any pixel is computed.
(define (aon-checks fixtures dir)
  ; Indexed images are refused.
  (let ((image (aon-load (string-append fixtures "/rgb8.png"))))
    (gimp-image-convert-indexed image NO-DITHER MAKE-PALETTE 16 FALSE FALSE "")
    (aon-case dir "indexed" image (car (gimp-image-get-active-layer image)) 0 1))
  ; A canvas of 131073 pixels would be 524292 once scaled 4x, over GIMP's
  ; limit of 524288.
  (let* ((image (car (gimp-image-new 131073 1 RGB)))
         (layer (aon-add-layer image 131073 1)))
    (aon-case dir "canvas-too-large" image layer 0 1))
  ; A small canvas, but another layer (not the chosen one) too wide once
  ; scaled: GIMP would have to scale it too.
  (let* ((image (aon-load (string-append fixtures "/rgb8.png")))
         (chosen (car (gimp-image-get-active-layer image))))
    (aon-add-layer image 131073 1)
    (aon-case dir "layer-too-large" image chosen 0 1))
  ; With the test profile's gimprc (tile-cache-size 64M) the core may use
  ; 32 MiB: tile size 256 on a 256x256 layer needs over 100 MiB of buffers.
  (let* ((image (aon-load (string-append fixtures "/rgb8.png")))
         (big (aon-add-layer image 256 256)))
    (aon-case dir "memory" image big 256 1))
  (gimp-message "SRGAN-TEST END"))

; With SRGAN_TEST_FAIL_AFTER_TILES=2 in GIMP's environment: 16-pixel tiles
; cut the 23x17 fixture into 4, and the third tile's read fails, half-way
; through the layer.
(define (aon-halfway fixtures dir)
  (let ((image (aon-load (string-append fixtures "/rgb8.png"))))
    (aon-case dir "halfway" image (car (gimp-image-get-active-layer image)) 16 1))
  (gimp-message "SRGAN-TEST END"))
