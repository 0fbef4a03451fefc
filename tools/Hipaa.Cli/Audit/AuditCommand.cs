using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Hipaa.Cli.Audit;

/// <summary>
/// The <c>hipaa audit</c> command group: verify the tamper-evident trail, answer who-accessed and accounting questions, export
/// the trail (FHIR AuditEvent or JSON lines) and its checkpoints, seal pending records. docs/audit.md ("CLI") describes each.
/// </summary>
internal static class AuditCommand
{
    public static Command Create() =>
        new("audit", "Verify, report on and export the audit trail.")
        {
            Verify(),
            WhoAccessed(),
            Accounting(),
            SharedLogins(),
            Export(),
            Checkpoints(),
            PublicKey(),
            Seal(),
            Purge(),
        };

    private static Command Verify()
    {
        var (connection, provider) = StoreOptions();
        var checkpoints = new Option<string[]>("--checkpoints")
        {
            Description = "An exported checkpoint file ('hipaa audit checkpoints export'); repeat for several. Catches truncation "
                + "the database hides, and anchors the chain up to the newest checkpoint in it.",
            Arity = ArgumentArity.OneOrMore,
        };
        var publicKeys = new Option<string[]>("--public-key")
        {
            Description = "A PEM public key that signs checkpoints ('hipaa audit public-key'); repeat for several. It anchors the "
                + "chain: without one, signatures are not checked and only a --checkpoints file can anchor it.",
            Arity = ArgumentArity.OneOrMore,
        };
        var allowEmpty = new Option<bool>("--allow-empty-trail")
        {
            Description = "Accept a trail with no sealed record and no checkpoint as a new trail. Without it an empty trail fails: "
                + "deleting every row looks the same.",
        };
        var acceptUnanchored = new Option<bool>("--insecure-accept-unanchored")
        {
            Description = "INSECURE: exit 0 for a consistent chain that no --public-key and no --checkpoints file anchors. Such a "
                + "chain may have been rewritten and re-signed by anyone who can write to the database.",
        };
        var command = new Command(
            "verify",
            "Walk the hash chain and its checkpoints. Exit code 0: the trail verified and is anchored by a --public-key or a "
            + "--checkpoints file; 1: it was changed, emptied or truncated (the first broken record is named); 2: bad arguments or "
            + "files; 3: the audit store could not be read; 4: the chain is consistent but unanchored (nothing outside the "
            + "database vouches for it).")
        {
            connection, provider, checkpoints, publicKeys, allowEmpty, acceptUnanchored,
        };
        command.SetAction((parsed, token) => AuditVerification.RunAsync(
            parsed.GetValue(provider)!,
            parsed.GetValue(connection)!,
            parsed.GetValue(checkpoints) ?? [],
            parsed.GetValue(publicKeys) ?? [],
            parsed.GetValue(allowEmpty),
            parsed.GetValue(acceptUnanchored),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            token));
        return command;
    }

    private static Command WhoAccessed()
    {
        var (connection, provider) = StoreOptions();
        var (actor, purpose) = AccessOptions();
        var (from, to) = WindowOptions();
        var patient = PatientOption();
        var format = FormatOption("text", "text", "jsonl");
        var command = new Command("who-accessed", "List every access to a patient's records, oldest first. The report is itself recorded in the trail.")
        {
            connection, provider, patient, from, to, format, actor, purpose,
        };
        command.SetAction((parsed, token) => AuditReportCommands.WhoAccessedAsync(
            Store(parsed, provider, connection),
            CliAccess.Create(parsed.GetValue(actor), parsed.GetValue(purpose)),
            parsed.GetValue(patient)!,
            parsed.GetValue(from),
            parsed.GetValue(to),
            parsed.GetValue(format)!,
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            token));
        return command;
    }

    private static Command Accounting()
    {
        var (connection, provider) = StoreOptions();
        var (actor, purpose) = AccessOptions();
        var (from, to) = WindowOptions();
        var patient = PatientOption();
        var format = FormatOption("text", "text", "jsonl");
        var command = new Command(
            "accounting",
            "The accounting of disclosures of a patient's information (45 CFR 164.528; default: the last six years) and the 42 CFR "
            + "Part 2 list of disclosures of SUD records (default: the last three years).")
        {
            connection, provider, patient, from, to, format, actor, purpose,
        };
        command.SetAction((parsed, token) => AuditReportCommands.AccountingAsync(
            Store(parsed, provider, connection),
            CliAccess.Create(parsed.GetValue(actor), parsed.GetValue(purpose)),
            parsed.GetValue(patient)!,
            parsed.GetValue(from),
            parsed.GetValue(to),
            parsed.GetValue(format)!,
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            token));
        return command;
    }

    private static Command SharedLogins()
    {
        var (connection, provider) = StoreOptions();
        var (actor, purpose) = AccessOptions();
        var (from, to) = WindowOptions();
        var format = FormatOption("text", "text", "jsonl");
        var idle = new Option<int>("--idle-minutes")
        {
            Description = "Minutes without an access from one place after which the next access there starts a new session (1–1440).",
            DefaultValueFactory = _ => 15,
        };
        var overlap = new Option<int>("--overlap-minutes")
        {
            Description = "Minutes two sessions of one user from different places must overlap to be flagged (0 to --idle-minutes).",
            DefaultValueFactory = _ => 5,
        };
        var command = new Command(
            "shared-logins",
            "Find user ids active from several client addresses or applications at once (default: the last 30 days): a shared "
            + "login (unique user identification, 45 CFR 164.312(a)(2)(i)) or a stolen credential. Exit code 0: none found; 1: "
            + "findings listed. The report is itself recorded in the trail.")
        {
            connection, provider, from, to, idle, overlap, format, actor, purpose,
        };
        command.SetAction((parsed, token) => AuditReportCommands.SharedLoginsAsync(
            Store(parsed, provider, connection),
            CliAccess.Create(parsed.GetValue(actor), parsed.GetValue(purpose)),
            parsed.GetValue(from),
            parsed.GetValue(to),
            parsed.GetValue(idle),
            parsed.GetValue(overlap),
            parsed.GetValue(format)!,
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            token));
        return command;
    }

    private static Command Export()
    {
        var (connection, provider) = StoreOptions();
        var (actor, purpose) = AccessOptions();
        var (from, to) = WindowOptions();
        var format = FormatOption(null, "fhir", "fhir-bundle", "jsonl");
        format.Required = true;
        var output = OutOption();
        var observer = new Option<string>("--source-observer")
        {
            Description = "The system named as the FHIR AuditEvent source observer.",
            DefaultValueFactory = _ => "hipaa-sdk",
        };
        var serverAddress = new Option<string>("--server-address")
        {
            Description = "The network address (IP, URI or host name) of the server agent of the FHIR AuditEvents (default: the source observer).",
        };
        var command = new Command(
            "export",
            "Export the audit trail: 'fhir' writes FHIR R4 AuditEvents as NDJSON (IHE BALP), 'fhir-bundle' one collection Bundle, "
            + "'jsonl' one JSON object per record for a SIEM. The export is itself recorded in the trail.")
        {
            connection, provider, format, output, from, to, observer, serverAddress, actor, purpose,
        };
        command.SetAction((parsed, token) => AuditReportCommands.ExportAsync(
            Store(parsed, provider, connection),
            CliAccess.Create(parsed.GetValue(actor), parsed.GetValue(purpose)),
            parsed.GetValue(format)!,
            parsed.GetValue(output),
            parsed.GetValue(from),
            parsed.GetValue(to),
            parsed.GetValue(observer)!,
            parsed.GetValue(serverAddress),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            token));
        return command;
    }

    private static Command Checkpoints()
    {
        var (connection, provider) = StoreOptions();
        var output = OutOption();
        var after = new Option<long>("--after")
        {
            Description = "Only checkpoints beyond this chain position, to append to an earlier export (default: all).",
        };
        var export = new Command(
            "export",
            "Write the signed checkpoints as JSON lines, to keep outside the database (another system, write-once storage); "
            + "'hipaa audit verify --checkpoints FILE' checks the chain against them.")
        {
            connection, provider, output, after,
        };
        export.SetAction((parsed, token) => AuditCheckpointCommands.ExportAsync(
            Store(parsed, provider, connection),
            parsed.GetValue(output),
            parsed.GetValue(after),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            token));
        return new Command("checkpoints", "The signed checkpoints of the audit chain.") { export };
    }

    private static Command PublicKey()
    {
        var key = SigningKeyOption();
        var command = new Command("public-key", "Print the PEM public key of a development signing key, for 'hipaa audit verify --public-key'.")
        {
            key,
        };
        command.SetAction(parsed => AuditCheckpointCommands.PublicKey(
            parsed.GetValue(key)!,
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error));
        return command;
    }

    private static Command Seal()
    {
        var (connection, provider) = StoreOptions();
        var key = SigningKeyOption();
        var max = new Option<int>("--max")
        {
            Description = "The most records sealed per transaction (default 1000).",
            DefaultValueFactory = _ => 1_000,
        };
        max.Validators.Add(result =>
        {
            if (result.GetValue(max) < 1)
            {
                result.AddError("--max must be at least 1.");
            }
        });
        var idle = new Option<double>("--until-idle")
        {
            Description = "Keep sealing until nothing has waited for this many seconds (default 0: seal what waits now, then stop).",
        };
        var command = new Command(
            "seal",
            "Seal pending audit records into the hash chain and sign a checkpoint, with a DEVELOPMENT-ONLY signing key. Applications "
            + "seal in the background; this is for development, tests and hosts without that loop.")
        {
            connection, provider, key, max, idle,
        };
        command.SetAction((parsed, token) => AuditCheckpointCommands.SealAsync(
            Store(parsed, provider, connection),
            parsed.GetValue(key)!,
            parsed.GetValue(max),
            TimeSpan.FromSeconds(Math.Max(0, parsed.GetValue(idle))),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            token));
        return command;
    }

    private static Command Purge()
    {
        var (connection, provider) = StoreOptions();
        var (actor, purpose) = AccessOptions();
        var years = new Option<int>("--retention-years")
        {
            Description = "Keep records at least this many years (default 6, the minimum: 45 CFR 164.316(b)(2)(i)).",
            DefaultValueFactory = _ => 6,
        };
        years.Validators.Add(result =>
        {
            if (result.GetValue(years) < 6)
            {
                result.AddError("--retention-years must be at least 6: HIPAA requires audit records to be kept six years.");
            }
        });
        var command = new Command(
            "purge",
            "Delete sealed audit records older than the retention period, up to a signed checkpoint, so the chain that remains still "
            + "verifies. The purge is itself recorded in the trail.")
        {
            connection, provider, years, actor, purpose,
        };
        command.SetAction((parsed, token) => AuditRetentionCommand.PurgeAsync(
            Store(parsed, provider, connection),
            CliAccess.Create(parsed.GetValue(actor), parsed.GetValue(purpose)),
            parsed.GetValue(years),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            token));
        return command;
    }

    private static (string Provider, string Connection) Store(ParseResult parsed, Option<string> provider, Option<string> connection) =>
        (parsed.GetValue(provider)!, parsed.GetValue(connection)!);

    private static (Option<string> Connection, Option<string> Provider) StoreOptions()
    {
        var connection = new Option<string>("--connection")
        {
            Description = "The connection string of the database that holds the hipaa_audit tables.",
            Required = true,
        };
        var provider = new Option<string>("--provider")
        {
            Description = "The database: sqlite or postgres.",
            Required = true,
        };
        provider.AcceptOnlyFromAmong(AuditStoreConnection.Sqlite, AuditStoreConnection.Postgres);
        return (connection, provider);
    }

    private static (Option<string> Actor, Option<string> Purpose) AccessOptions()
    {
        var actor = new Option<string>("--actor")
        {
            Description = "Your unique user id, recorded in the trail as the reader (default: the system actor system:hipaa-cli).",
        };
        var purpose = new Option<string>("--purpose")
        {
            Description = "The HL7 purpose of use recorded for the read (default HOVERSIGHT).",
        };
        return (actor, purpose);
    }

    private static (Option<DateTimeOffset?> From, Option<DateTimeOffset?> To) WindowOptions()
    {
        var from = new Option<DateTimeOffset?>("--from")
        {
            Description = "The earliest time included, ISO 8601 (a date alone is its start; UTC unless an offset is given).",
            CustomParser = result => ParseTime(result, endOfDay: false),
        };
        var to = new Option<DateTimeOffset?>("--to")
        {
            Description = "The latest time included, ISO 8601 (a date alone includes that whole day; UTC unless an offset is given).",
            CustomParser = result => ParseTime(result, endOfDay: true),
        };
        return (from, to);
    }

    private static Option<string> PatientOption() => new("--patient")
    {
        Description = "The patient id, as the application records it.",
        Required = true,
    };

    private static Option<string> FormatOption(string? defaultValue, params string[] formats)
    {
        var format = new Option<string>("--format") { Description = "The output format: " + string.Join(", ", formats) + "." };
        if (defaultValue is not null)
        {
            format.DefaultValueFactory = _ => defaultValue;
        }

        format.AcceptOnlyFromAmong(formats);
        return format;
    }

    private static Option<string> OutOption() => new("--out")
    {
        Description = "The file to write (default: standard output).",
    };

    private static Option<string> SigningKeyOption() => new("--signing-key")
    {
        Description = "The development signing key file (PEM, created owner-only when missing).",
        Required = true,
    };

    private static DateTimeOffset? ParseTime(ArgumentResult result, bool endOfDay)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date))
        {
            var start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return endOfDay ? start.AddDays(1).AddTicks(-1) : start;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset time))
        {
            return time;
        }

        result.AddError($"'{text}' is not a date or time; use ISO 8601, e.g. 2026-03-31 or 2026-03-31T14:00:00Z.");
        return null;
    }
}
