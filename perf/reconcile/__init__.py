"""The blog's four apps in the comparison (``nox -s bench -- --full``) and the report's section
"Why the blog said otherwise": ``run`` measures them, ``analysis`` derives the figures,
``markdown`` renders the section (the ``loadtest`` package knows nothing of the blog)."""
