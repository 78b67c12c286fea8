from ktstat.cli import main

main()
