"""Logbook's own schemathesis check, loaded through SCHEMATHESIS_HOOKS by test/schemathesis/run.sh."""

import re

import schemathesis

# MLflow answers 400 for state and grammar too (a deleted run, a duplicate name, a filter that does not
# parse), so schemathesis' positive_data_acceptance cannot tell a wrong document from a refused state.
# These messages come only from request validation and from the limits the document states: a
# schema-valid request refused with one of them means the document and the server disagree.
DOCUMENTED_RULES = re.compile(
    r"Missing value for required parameter"
    r"|for parameter '[^']*' supplied:  Hint"
    r"|for parameter 'max_results' supplied"
    r"|max_results must be between"
    r"|exceeded length limit|exceeds the maximum length"
    r"|Experiment ID must be a valid integer"
    r"|Names may only contain|Names may be treated as files"
    r"|A batch logging request can contain at most \d+ (metrics|params|tags)\."
    r"|num_parts must be between"
)


@schemathesis.check
def documented_input_accepted(ctx, response, case):
    """A schema-valid request must never fail a rule the document states."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        message = response.json().get("message", "")
    except ValueError:
        return None
    if DOCUMENTED_RULES.search(message):
        raise AssertionError(f"Schema-valid request refused by a documented rule: {message}")
    return None
