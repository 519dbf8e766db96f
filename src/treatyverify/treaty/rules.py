"""Counting rules of a treaty, as data.

A counting rule says how declared numbers relate to one another, beyond the sum a
:class:`~treatyverify.treaty.Limit` caps:

* an **attribution** counts ``per_item`` items of ``attributed_class`` for each item
  of ``item_class`` (New START Article III.2(c): one nuclear warhead is counted for
  each deployed heavy bomber);
* a **consistency** rule ties the count of ``item_class`` to that of another class:
  ``equals`` it or is ``at_most`` it (a deployed ICBM is one contained in a deployed
  ICBM launcher, so there are as many of each).

Each rule names its ``kind``; a kind the engine does not know is refused when the
specification is read, so every rule a specification states is one that
:mod:`treatyverify.compliance` checks. Item classes are checked against the treaty's
``item_classes`` by :class:`~treatyverify.treaty.TreatySpec`.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

__all__ = ["COUNTING_RULE_KINDS", "AttributionRule", "ConsistencyRule", "CountingRule"]

_Slug = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
_Source = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class AttributionRule(_Rule):
    """Each item of ``item_class`` counts as ``per_item`` items of ``attributed_class``.

    The count of ``attributed_class`` is then the attributed number, whatever is
    declared for it; a declaration that states another number is a finding.
    """

    id: _Slug = Field(description="Identifier, unique among the counting rules.")
    kind: Literal["attribution"] = Field(description="'attribution'.")
    item_class: _Slug = Field(description="Item class whose items carry the attribution.")
    attributed_class: _Slug = Field(description="Item class counted by the rule.")
    per_item: Annotated[StrictInt, Field(ge=1)] = Field(
        description="Items of attributed_class counted for each item of item_class.",
        json_schema_extra={"unit": "items per item"},
    )
    source: _Source = Field(description="Article and paragraph that state the rule.")

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.item_class == self.attributed_class:
            raise ValueError("attributed_class: must differ from item_class")
        return self

    def references(self) -> tuple[tuple[str, str], ...]:
        """(field, item class) of every item class the rule names."""
        return (("item_class", self.item_class), ("attributed_class", self.attributed_class))


class ConsistencyRule(_Rule):
    """The count of ``item_class`` ``equals`` (or is ``at_most``) that of another class."""

    id: _Slug = Field(description="Identifier, unique among the counting rules.")
    kind: Literal["consistency"] = Field(description="'consistency'.")
    item_class: _Slug = Field(description="Item class whose count is constrained.")
    equals: _Slug | None = Field(
        default=None, description="Item class whose count item_class must equal."
    )
    at_most: _Slug | None = Field(
        default=None, description="Item class whose count item_class must not exceed."
    )
    source: _Source = Field(description="Article and paragraph that state the rule.")

    @model_validator(mode="after")
    def _one_relation(self) -> Self:
        if (self.equals is None) == (self.at_most is None):
            raise ValueError("equals: give exactly one of equals or at_most")
        if self.other_class == self.item_class:
            raise ValueError("equals: must name an item class other than item_class")
        return self

    @property
    def other_class(self) -> str:
        """The class the count is compared with."""
        if self.equals is not None:
            return self.equals
        if self.at_most is not None:
            return self.at_most
        raise ValueError("equals: give exactly one of equals or at_most")

    @property
    def relation(self) -> Literal["equals", "at_most"]:
        """``"equals"`` or ``"at_most"``."""
        return "equals" if self.equals is not None else "at_most"

    def holds(self, count: int, other: int) -> bool:
        """Whether ``count`` items of item_class stand in the relation to ``other``."""
        return count == other if self.relation == "equals" else count <= other

    def references(self) -> tuple[tuple[str, str], ...]:
        """(field, item class) of every item class the rule names."""
        return (("item_class", self.item_class), (self.relation, self.other_class))


CountingRule = Annotated[AttributionRule | ConsistencyRule, Field(discriminator="kind")]
"""One counting rule; its ``kind`` selects the model."""

COUNTING_RULE_KINDS: tuple[str, ...] = ("attribution", "consistency")
"""The kinds of counting rule the engine checks."""
