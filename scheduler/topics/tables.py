"""Topics a school offers for families to vote on ("what would help you?") and the votes."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import School
from scheduler.families.tables import Family


class Topic(Table):
    """A workshop the school could run; families say whether it would help them before anything is planned."""

    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    title = Varchar(length=200)
    translations = Text(default="{}")  # JSON {language: title}: the school's other languages
    open = Boolean(default=True)  # closed topics keep their votes but are no longer shown to families
    created_at = Timestamptz(default=TimestamptzNow())


class TopicVote(Table):
    topic = ForeignKey(references=Topic, on_delete=OnDelete.cascade, index=True, null=False)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
