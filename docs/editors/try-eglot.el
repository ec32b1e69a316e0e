;;; Try docs/editors/eglot.el by hand in batch mode (not part of the test suite: Emacs is a 159 MB apt install).
;;; emacs -Q --batch -l docs/editors/try-eglot.el FILE [LINE COLUMN]
;;; Loads the documented snippet, opens FILE, prints eglot's diagnostics, the completion labels at LINE:COLUMN
;;; (1-based line, 0-based column) and, with DAGSTER_LINEAGE=1, the *dagster-lineage* buffer.

;; -Q skips the Debian elpa folders (elpa-eglot, elpa-yaml-mode).
(dolist (dir (file-expand-wildcards "/usr/share/emacs/site-lisp/elpa/*")) (add-to-list 'load-path dir))
(load (expand-file-name "eglot.el" (file-name-directory load-file-name)))

(defvar try-start (float-time))
(defvar try-statuses nil "Every dagster/status seen, newest first.")
(cl-defmethod eglot-handle-notification :after (_server (_method (eql dagster/status)) &key subject state
                                                        &allow-other-keys)
  (push (format "%s: %s" subject state) try-statuses)
  (message "%5.1fs status %s: %s" (- (float-time) try-start) subject state))

(defun try-wait (predicate seconds)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline)) (accept-process-output nil 0.1))
    (funcall predicate)))

(let* ((file (expand-file-name (nth 0 command-line-args-left)))
       (line (and (nth 1 command-line-args-left) (string-to-number (nth 1 command-line-args-left))))
       (column (and (nth 2 command-line-args-left) (string-to-number (nth 2 command-line-args-left)))))
  (setq command-line-args-left nil)
  (find-file file)
  (message "mode: %s" major-mode)
  ;; eglot-ensure waits for a command loop that batch mode never runs: start eglot as it would.
  (apply #'eglot (eglot--guess-contact))
  (message "server: %S" (process-command (jsonrpc--process (eglot-current-server))))
  (unless (try-wait (lambda () (member "registry: ready" try-statuses)) 120) (error "no registry: ready status"))
  (try-wait (lambda () (flymake-diagnostics)) 5) ; none is a valid answer for a clean file
  (message "status: %s" dagster-status)
  (dolist (d (flymake-diagnostics))
    (message "diagnostic: line %d: %s" (line-number-at-pos (flymake-diagnostic-beg d)) (flymake-diagnostic-text d)))
  (when line
    (goto-char (point-min))
    (forward-line (1- line))
    (when (eobp) (insert "\n") (forward-line -1))
    (move-to-column column t)
    (let ((capf (eglot-completion-at-point)))
      (message "completion at %d:%d: %s" line column (string-join (all-completions "" (nth 2 capf)) ", "))))
  (when (getenv "DAGSTER_LINEAGE")
    (unless (try-wait (lambda () (member "lineage: ready" try-statuses)) 240) (error "no lineage: ready status"))
    (dagster-lineage)
    (message "lineage:\n%s" (with-current-buffer "*dagster-lineage*" (buffer-string))))
  (set-buffer-modified-p nil)
  (message "%5.1fs shutdown" (- (float-time) try-start))
  (eglot-shutdown (eglot-current-server) nil 10)
  (message "%5.1fs done" (- (float-time) try-start)))
