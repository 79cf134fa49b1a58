; tests-gimp2.scm — Script-Fu side of the GIMP 2.10 tests (see gimp-tests.sh).
; Prints "SRGAN-TEST ok|FAIL <name>" lines; the shell script counts them and
; compares the exported PNGs with the core's own output.

(define (srgan-check name ok)
  (gimp-message (string-append "SRGAN-TEST " (if ok "ok " "FAIL ") name)))

; The message of the error that (thunk) raises, or #f when it returns.
; Script-Fu's catch drops the message, so *error-hook* records it first: a
; refusal must name its cause, which a crashed plug-in (whose call fails
; too, with only a generic message) does not.
(define (srgan-error-of thunk)
  (let ((message #f)
        (saved-hook *error-hook*))
    (set! *error-hook*
          (lambda (msg . args) (set! message msg) (apply saved-hook msg args)))
    (let ((returned (catch #f (thunk) #t)))
      (set! *error-hook* saved-hook)
      (if returned #f (if (string? message) message "(no message)")))))

(define (srgan-contains? text part)
  (let ((n (string-length text)) (m (string-length part)))
    (let loop ((i 0))
      (cond ((> (+ i m) n) #f)
            ((string=? (substring text i (+ i m)) part) #t)
            (else (loop (+ i 1)))))))

; A refused call: it raised an error whose message contains cause.
(define (srgan-check-refused name thunk cause)
  (let ((message (srgan-error-of thunk)))
    (gimp-message (string-append "SRGAN-TEST message (" name "): "
                                 (if message message "none: the call succeeded")))
    (srgan-check (string-append name " refused, naming the cause")
                 (and message (srgan-contains? message cause)))))

(define (srgan-load path)
  (car (gimp-file-load RUN-NONINTERACTIVE path path)))

(define (srgan-layer image)
  (car (gimp-image-get-active-layer image)))

(define (srgan-size item)
  (list (car (gimp-drawable-width item)) (car (gimp-drawable-height item))))

; Load, upscale non-interactively (positional arguments), export.
(define (srgan-upscale-file in out)
  (let* ((image (srgan-load in))
         (layer (srgan-layer image)))
    (plug-in-srgan RUN-NONINTERACTIVE image layer "x4" 0 2)
    (gimp-file-save RUN-NONINTERACTIVE image layer out out)
    (gimp-image-delete image)))

; The same with a model given by name (or alias) in the model argument.
(define (srgan-upscale-file-model in out model)
  (let* ((image (srgan-load in))
         (layer (srgan-layer image)))
    (plug-in-srgan RUN-NONINTERACTIVE image layer model 0 2)
    (gimp-file-save RUN-NONINTERACTIVE image layer out out)
    (gimp-image-delete image)))

(define (srgan-tests fixtures out)
  (for-each
    (lambda (name)
      (srgan-upscale-file (string-append fixtures "/" name ".png")
                          (string-append out "/" name ".png")))
    '("rgb8" "rgba8" "grey8" "greya8" "rgb16" "rgba16"))

  ; Composition: another, smaller, offset layer is scaled with the canvas.
  (let* ((image (srgan-load (string-append fixtures "/rgba8.png")))
         (base (srgan-layer image))
         (other (car (gimp-layer-copy base TRUE))))
    (gimp-image-insert-layer image other 0 -1)
    (gimp-layer-scale other 10 8 FALSE)
    (gimp-layer-set-offsets other 3 2)
    (plug-in-srgan RUN-NONINTERACTIVE image base "" 0 0)
    (srgan-check "canvas resized 4x"
                 (and (= (car (gimp-image-width image)) 92)
                      (= (car (gimp-image-height image)) 68)))
    (srgan-check "chosen layer 4x" (equal? (srgan-size base) '(92 68)))
    (srgan-check "other layer scaled 4x" (equal? (srgan-size other) '(40 32)))
    (srgan-check "other layer offsets 4x"
                 (equal? (gimp-drawable-offsets other) '(12 8)))
    (gimp-image-delete image))

  ; Models by name: gimp-tests.sh puts srgan-x2 in $SRGAN_MODEL_DIR under
  ; a new name (and under its own, for the alias); it compares the
  ; exports with the core running srgan-x2.
  (srgan-upscale-file-model (string-append fixtures "/rgb8.png")
                            (string-append out "/rgb8-by-name.png") "test-renamed-x2")
  (srgan-upscale-file-model (string-append fixtures "/rgb8.png")
                            (string-append out "/rgb8-alias-x2.png") "x2")
  (let* ((image (srgan-load (string-append fixtures "/rgb8.png"))))
    (srgan-check "unknown model name refused"
                 (not (catch #f (plug-in-srgan RUN-NONINTERACTIVE image
                                               (srgan-layer image) "no-such-model" 0 0)
                             #t)))
    (srgan-check "unknown model name: image unchanged"
                 (equal? (srgan-size (srgan-layer image)) '(23 17)))
    (gimp-image-delete image))

  ; Indexed images are refused with an error; the image is unchanged.
  (let* ((image (srgan-load (string-append fixtures "/rgb8.png"))))
    (gimp-image-convert-indexed image NO-DITHER MAKE-PALETTE 16 FALSE FALSE "")
    (srgan-check-refused "indexed"
                         (lambda () (plug-in-srgan RUN-NONINTERACTIVE image
                                                   (srgan-layer image) "" 0 0))
                         "indexed image")
    (srgan-check "indexed unchanged" (= (car (gimp-image-width image)) 23))
    (gimp-image-delete image))

  ; A missing model file is an error; the image is unchanged.
  (let* ((image (srgan-load (string-append fixtures "/rgb8.png"))))
    (srgan-check-refused "missing model"
                         (lambda () (plug-in-srgan RUN-NONINTERACTIVE image
                                                   (srgan-layer image)
                                                   "/nonexistent/model.safetensors" 0 0))
                         "/nonexistent/model.safetensors")
    (srgan-check "missing model: image unchanged"
                 (equal? (srgan-size (srgan-layer image)) '(23 17)))
    (gimp-image-delete image))

  ; A file that is not a model: the error names it; the image is unchanged.
  (let* ((image (srgan-load (string-append fixtures "/rgb8.png"))))
    (srgan-check-refused "not a model"
                         (lambda () (plug-in-srgan RUN-NONINTERACTIVE image
                                                   (srgan-layer image)
                                                   (string-append fixtures "/grey8.png") 0 0))
                         "grey8.png")
    (srgan-check "not a model: image unchanged"
                 (equal? (srgan-size (srgan-layer image)) '(23 17)))
    (gimp-image-delete image))

  (gimp-message "SRGAN-TEST END"))

