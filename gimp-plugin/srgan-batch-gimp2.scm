; srgan-batch.scm (GIMP 2.10) — upscale every PNG/JPEG of a folder with SRGAN.
;
; Installed as a Script-Fu script (share/srgan/gimp/srgan-batch.scm; copy or
; link it into ~/.config/GIMP/2.10/scripts/), then:
;
;   gimp-console-2.10 -i -b '(srgan-batch-upscale "in-dir" "out-dir" 0)' -b '(gimp-quit 0)'
;
; Each file is written to out-dir under its own name and format.  The third
; argument is the tile size (0 = automatic).  A file that fails stops the
; batch with GIMP's error message; files already written stay complete.

(define (srgan-batch-basename path)
  ; The part after the last "/".
  (let loop ((i (- (string-length path) 1)))
    (cond ((< i 0) path)
          ((char=? (string-ref path i) #\/) (substring path (+ i 1) (string-length path)))
          (else (loop (- i 1))))))

(define (srgan-batch-files in-dir)
  (apply append
         (map (lambda (pattern)
                (cadr (file-glob (string-append in-dir "/" pattern) 1)))
              '("*.png" "*.PNG" "*.jpg" "*.JPG" "*.jpeg" "*.JPEG"))))

(define (srgan-batch-upscale in-dir out-dir tile-size)
  (for-each
    (lambda (in-file)
      (let* ((out-file (string-append out-dir "/" (srgan-batch-basename in-file)))
             (image (car (gimp-file-load RUN-NONINTERACTIVE in-file in-file)))
             (layer (car (gimp-image-get-active-layer image))))
        (plug-in-srgan RUN-NONINTERACTIVE image layer "x4" tile-size 0)
        (gimp-file-save RUN-NONINTERACTIVE image
                        (car (gimp-image-get-active-drawable image))
                        out-file out-file)
        (gimp-image-delete image)
        (gimp-message (string-append "srgan: " in-file " -> " out-file))))
    (srgan-batch-files in-dir)))
