"""Evaluation: the statistics (stats), STS correlation of an encoder (sts) and BEIR
retrieval scores of a library's search (beir). It sits low: it imports no part of the
engine's composition; what it evaluates is handed to it."""
