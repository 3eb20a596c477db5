"""The mutation catalogue stays in step with the code: `make mutation` is not part of `make test`, so a change
that moves a rule's text would otherwise leave its mutant stale until someone runs it."""

from tests.mutation.run_catalogue import REPO, load, stale_entries


def test_every_mutant_of_the_catalogue_still_finds_its_text_exactly_once():
    mutants, equivalent = load()
    assert len(mutants) > 50
    assert stale_entries(mutants + equivalent, REPO) == []
