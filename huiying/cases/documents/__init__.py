"""The assignment form as a printable document (《网络政务舆情处置交办单》): .docx and PDF.

`data` gathers what the document shows, `layout` turns it into the rows both renderers draw,
`docx` and `pdf` only format.
"""
