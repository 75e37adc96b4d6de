"""Pure Python building blocks with no Flask: money, clock, ids, errors, languages."""
