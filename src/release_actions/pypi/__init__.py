"""Publishing to a package index: what it holds, trusted publishing, uploads with twine.

Example::

    repository = RepositoryUrl.parse("https://upload.pypi.org/legacy/")
    with IndexReader(repository.default_index_url()) as reader:
        plan = plan_uploads(dists, reader.files("demo"), skip_existing=True)
        minted = exchange(repository.oidc_base, oidc_token=fetch_for_audience)
        upload_planned(plan, repository_url=repository.url, password=minted.token,
                       reader=reader, trusted=True)

:mod:`~.urls` (upload URL → Simple API, OIDC endpoints), :mod:`~.index` (the Simple API
read with pypi-simple), :mod:`~.attestations` (PEP 740 files checked before any upload),
:mod:`~.trusted` (the OIDC exchange), :mod:`~.upload` (twine's library),
:mod:`~.publish` (the plan and the upload loop). This engine knows no runner and no other
engine: the step passes in tokens and a log.
"""
