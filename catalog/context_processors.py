from catalog.identity import viewer_for_request


def identity(request) -> dict:
    return {"viewer": viewer_for_request(request)}
