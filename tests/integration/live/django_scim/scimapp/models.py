"""The user and group models django-scim2 requires (its SCIM mixins, default adapters)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class Group(AbstractSCIMGroupMixin):
    name = models.CharField(max_length=150)

    class Meta:
        app_label = "scimapp"


class User(AbstractSCIMUserMixin, AbstractUser):
    # The default group adapter reads `group.user_set`, the user adapter `scim_groups`.
    scim_group_set = models.ManyToManyField(Group, related_name="user_set", blank=True)

    class Meta:
        app_label = "scimapp"

    @property
    def scim_groups(self) -> Any:
        return self.scim_group_set
