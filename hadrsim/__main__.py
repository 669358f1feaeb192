from hadrsim.cli import main

main()
