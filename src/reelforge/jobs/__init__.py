"""The runner (plan → engines → media → artifact) and, later, executors."""
