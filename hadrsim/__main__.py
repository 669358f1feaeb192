from hadrsim.cli import app

app(prog_name="hadrsim")
