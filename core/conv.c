/* placeholder: filled by the core work (issue 2) */
