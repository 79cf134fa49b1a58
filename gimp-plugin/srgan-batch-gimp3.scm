; srgan-batch.scm (GIMP 3.0) — upscale every PNG/JPEG of a folder with SRGAN.
;
; Installed as share/srgan/gimp/srgan-batch.scm.  Load it and call it in one
; headless GIMP:
;
;   gimp-console-3.0 -i --batch-interpreter=plug-in-script-fu-eval \
;     -b '(load "/usr/local/share/srgan/gimp/srgan-batch.scm")' \
;     -b '(srgan-batch-upscale "in-dir" "out-dir" 0)' -b '(gimp-quit 0)'
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
                (car (file-glob (string-append in-dir "/" pattern) 1)))
              '("*.png" "*.PNG" "*.jpg" "*.JPG" "*.jpeg" "*.JPEG"))))

(define (srgan-batch-upscale in-dir out-dir tile-size)
  (for-each
    (lambda (in-file)
      (let* ((out-file (string-append out-dir "/" (srgan-batch-basename in-file)))
             (image (car (gimp-file-load RUN-NONINTERACTIVE in-file)))
             (layers (car (gimp-image-get-selected-layers image))))
        (plug-in-srgan #:run-mode RUN-NONINTERACTIVE #:image image
                       #:drawables layers #:tile-size tile-size)
        (gimp-file-save RUN-NONINTERACTIVE image out-file -1)
        (gimp-image-delete image)
        (gimp-message (string-append "srgan: " in-file " -> " out-file))))
    (srgan-batch-files in-dir)))
