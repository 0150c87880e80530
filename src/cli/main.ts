// The georep command line. Subcommands are added as they are built.
const usage = `usage: georep <command> [options]

commands:
  validate FILE...   check geo-replication.yaml files (exit 0 valid, 1 invalid, 2 usage)
`;

process.stdout.write(usage);
process.exitCode = 2;
