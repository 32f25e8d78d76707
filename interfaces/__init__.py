"""How people reach symbiosis: the ``symbiosis`` command line and the classroom app.

This is the top floor. It parses, prints and serves; whatever it computes is a function in
``simulation`` or ``analysis`` that a notebook can call too. Nothing below imports it.
"""
