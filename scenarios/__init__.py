"""What is simulated: the parameter declaration, scenario files, parks and the catalogues."""
