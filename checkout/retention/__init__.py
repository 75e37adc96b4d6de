"""Retention and subject access: erasing what is past its time, showing a donor what we hold."""
