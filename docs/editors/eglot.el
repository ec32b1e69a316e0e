;;; dagster-components-ls with eglot (built into Emacs 29+; on Emacs 28 install `eglot' from GNU ELPA).

(require 'eglot)
(require 'yaml-mode) ; on Emacs 29+ with tree-sitter, require nothing and derive from `yaml-ts-mode' below

;; Component files get a mode of their own, derived from YAML: eglot runs one server a buffer, and this keeps
;; yaml-language-server (if you use it) on your other YAML files.
(define-derived-mode dagster-yaml-mode yaml-mode "Dagster-YAML"
  "YAML for Dagster component files: defs.yaml, defs.yml, component.yaml.")
(add-to-list 'auto-mode-alist '("/\\(?:defs\\.ya?ml\\|component\\.yaml\\)\\'" . dagster-yaml-mode))

(defun dagster-components-ls-contact (_interactive)
  "The server from the nearest .venv above the file, else `dagster-components-ls' on `exec-path'."
  (let ((venv (locate-dominating-file default-directory ".venv/bin/dagster-components-ls")))
    (list (if venv (expand-file-name ".venv/bin/dagster-components-ls" venv) "dagster-components-ls") "serve"
          :initializationOptions
          '(:lineage (:enabled t)          ; :json-false: never load the project's definitions
            ;; :python "/path/to/project/.venv/bin/python" ; default: the project's .venv, $VIRTUAL_ENV, the server's own
            ))))
(add-to-list 'eglot-server-programs '((dagster-yaml-mode :language-id "yaml") . dagster-components-ls-contact))
(add-hook 'dagster-yaml-mode-hook #'eglot-ensure)

;; dagster/status: {project, interpreter, subject: registry|lineage|worker, state: loading|ready|error|untrusted, message}
(defvar dagster-status nil "The last `dagster/status' as \"SUBJECT: STATE\", e.g. for your mode line.")
(cl-defmethod eglot-handle-notification (_server (_method (eql dagster/status)) &key subject state message
                                                 &allow-other-keys)
  (setq dagster-status (format "%s: %s" subject state))
  (when (equal state "error") (message "dagster: %s" message)))

(defun dagster-lineage ()
  "Show what the current file's documents produce, with their upstream and downstream assets."
  (interactive)
  (let ((result (jsonrpc-request (eglot--current-server-or-lose) :dagster/lineage
                                 `(:textDocument ,(eglot--TextDocumentIdentifier)))))
    (with-current-buffer (get-buffer-create "*dagster-lineage*")
      (let ((inhibit-read-only t))
        (erase-buffer)
        (seq-doseq (asset (plist-get result :assets))
          (insert (format "%-10s %s  <- %s\n" (plist-get asset :role) (plist-get asset :key)
                          (mapconcat #'identity (plist-get asset :deps) ", "))))
        (seq-doseq (error (plist-get result :errors))
          (insert "error: " (plist-get error :message) "\n")))
      (special-mode)
      (display-buffer (current-buffer)))))
