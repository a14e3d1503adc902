// The weir executable: placeholder until the HTTP server lands.
int main() { return 0; }
