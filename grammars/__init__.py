"""The program language's grammar and op table (installed as npqa.grammars)."""
