"""``python -m promptsentry`` runs the command-line interface."""

from promptsentry.cli import main

if __name__ == "__main__":
    main()
