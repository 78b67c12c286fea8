from ktstat.cli import main

if __name__ == "__main__":  # (not when multiprocessing imports this module in a child process)
    main()
