"""The PySide6 window. Importing it loads Qt but never torch or transformers: the model
loads on a worker thread after the window is shown."""
