"""Google: the owner's live sheet (`sheets`), the venue's rating (`places`)."""
