"""The service path: stored tasks rendered and reported.

:mod:`~reelforge.service.worker` (the in-process executor) claims queued tasks from the
store's queue (:mod:`reelforge.store.queue`), renders them with the render path
(:mod:`reelforge.render`) and settles them; :mod:`~reelforge.service.callbacks` delivers
each status change to the task's ``callback_url``. Every outbound request (callbacks, the
API's input fetching) goes through the URL guard (:mod:`~reelforge.service.urls`) and the
pinned transport (:mod:`~reelforge.service.outbound`).
"""
