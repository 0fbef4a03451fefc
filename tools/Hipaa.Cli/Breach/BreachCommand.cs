using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Hipaa.Cli.Audit;

namespace Hipaa.Cli.Breach;

/// <summary>
/// The <c>hipaa breach</c> command group. <c>breach assess --user U | --key K | --from T1 --to T2</c>: the patients a compromise
/// exposed, which of their PHI is unsecured and which is under the safe harbor (45 CFR 164.402), and the notification deadlines
/// (164.404–164.408), as markdown or JSON (docs/compliance-tools.md).
/// </summary>
internal static class BreachCommand
{
    public static Command Create()
    {
        var connection = new Option<string>("--connection") { Description = "The connection string of the database that holds the hipaa_audit tables.", Required = true };
        var provider = new Option<string>("--provider") { Description = "The audit store's database: sqlite or postgres.", Required = true };
        provider.AcceptOnlyFromAmong(AuditStoreConnection.Sqlite, AuditStoreConnection.Postgres);
        var keyConnection = new Option<string>("--key-connection") { Description = "The connection string of the key store (hipaa_keys); default: --connection." };
        var keyProvider = new Option<string>("--key-provider") { Description = "The key store's database: sqlite or postgres; default: --provider." };
        keyProvider.AcceptOnlyFromAmong(AuditStoreConnection.Sqlite, AuditStoreConnection.Postgres);
        var user = new Option<string>("--user") { Description = "A compromised user account: its user id as the trail records it." };
        var key = new Option<string>("--key") { Description = "A compromised key: its id in the key table (a data, index or intermediate key)." };
        var from = new Option<DateTimeOffset?>("--from")
        {
            Description = "The start of the compromised window, ISO 8601 (a date alone is its start; UTC unless an offset is given). With --user: when the account was compromised.",
            CustomParser = r => ParseTime(r, endOfDay: false),
        };
        var to = new Option<DateTimeOffset?>("--to")
        {
            Description = "The end of the compromised window, ISO 8601 (a date alone includes that whole day).",
            CustomParser = r => ParseTime(r, endOfDay: true),
        };
        var discovered = new Option<DateOnly?>("--discovered")
        {
            Description = "The date the breach was discovered, yyyy-MM-dd (default: today, UTC); the 60-day deadline runs from it.",
            CustomParser = ParseDate,
        };
        var assembly = new Option<string>("--assembly")
        {
            Description = "The EHR's built assembly, to know which fields the SDK encrypts and under which key scope. Without it every field reached counts as unsecured.",
        };
        var context = new Option<string>("--context") { Description = "With --assembly: the DbContext type to use (default: all of them)." };
        var checkpoints = new Option<string[]>("--checkpoints") { Description = "An exported checkpoint file that anchors the trail; repeat for several.", Arity = ArgumentArity.OneOrMore };
        var publicKeys = new Option<string[]>("--public-key") { Description = "A PEM public key that signs checkpoints; repeat for several.", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "The output format: markdown or json.", DefaultValueFactory = _ => "markdown" };
        format.AcceptOnlyFromAmong("markdown", "json");
        var actor = new Option<string>("--actor") { Description = "Your unique user id, recorded in the trail as the reader (default: the system actor system:hipaa-cli)." };
        var purpose = new Option<string>("--purpose") { Description = "The HL7 purpose of use recorded for the read (default HOVERSIGHT)." };

        var assess = new Command(
            "assess",
            "Assess a breach: for a compromised account (--user), key (--key) or time window (--from and --to), the patients whose PHI was "
            + "reached, which of it is unsecured and which is encrypted under keys the attacker did not hold (45 CFR 164.402), and the "
            + "60-day notification deadline. The audit trail is verified first. Exit code 0: assessed on a verified trail; 2: bad arguments "
            + "(also an unknown key id or an unreadable assembly); 3: a store could not be read; 5: assessed, but the trail did not verify.")
        {
            connection, provider, keyConnection, keyProvider, user, key, from, to, discovered, assembly, context, checkpoints, publicKeys, format, actor, purpose,
        };
        assess.Validators.Add(result =>
        {
            bool hasUser = result.GetResult(user) is not null;
            bool hasKey = result.GetResult(key) is not null;
            bool hasFrom = result.GetResult(from) is not null;
            bool hasTo = result.GetResult(to) is not null;
            if (hasUser && hasKey)
            {
                result.AddError("Give one compromise: --user or --key, not both.");
            }
            else if (!hasUser && !hasKey && hasFrom != hasTo)
            {
                result.AddError("A time window needs both ends: --from T1 --to T2 (or name the compromised --user, whose window may be open-ended).");
            }
            else if (!hasUser && !hasKey && !(hasFrom && hasTo))
            {
                result.AddError("Say what was compromised: --user USER, --key KEY-ID, or a time window --from T1 --to T2.");
            }
            else if (hasKey && (hasFrom || hasTo))
            {
                result.AddError("--from/--to do not apply to --key: a compromised key exposes whatever it encrypted, whenever it was written.");
            }

            if (hasKey && result.GetValue(key) is { } text && !Guid.TryParse(text, out _))
            {
                result.AddError($"--key '{text}' is not a key id; key ids are GUIDs (the id column of hipaa_keys).");
            }

            if (result.GetValue(from) is { } start && result.GetValue(to) is { } end && start > end)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--from ({start:O}) is after --to ({end:O})."));
            }
        });
        assess.SetAction((parsed, token) =>
        {
            string? userId = parsed.GetValue(user);
            string? keyText = parsed.GetValue(key);
            BreachTargetKind kind = userId is not null ? BreachTargetKind.User : keyText is not null ? BreachTargetKind.Key : BreachTargetKind.Window;
            var target = new BreachTarget(kind, userId, keyText is null ? null : Guid.Parse(keyText), parsed.GetValue(from), parsed.GetValue(to));
            (string Provider, string Connection) audit = (parsed.GetValue(provider)!, parsed.GetValue(connection)!);
            var inputs = new BreachAssessmentCommand.Inputs(
                audit,
                (parsed.GetValue(keyProvider) ?? audit.Provider, parsed.GetValue(keyConnection) ?? audit.Connection),
                parsed.GetValue(assembly),
                parsed.GetValue(context),
                parsed.GetValue(checkpoints) ?? [],
                parsed.GetValue(publicKeys) ?? [],
                parsed.GetValue(discovered) ?? DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime),
                parsed.GetValue(format)!);
            return BreachAssessmentCommand.RunAsync(
                target,
                inputs,
                CliAccess.Create(parsed.GetValue(actor), parsed.GetValue(purpose)),
                parsed.InvocationConfiguration.Output,
                parsed.InvocationConfiguration.Error,
                token);
        });
        return new Command("breach", "Breach-notification assessment (45 CFR 164.400–414).") { assess };
    }

    private static DateOnly? ParseDate(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date))
        {
            return date;
        }

        result.AddError($"--discovered '{text}' is not a date; use yyyy-MM-dd, e.g. 2026-03-31.");
        return null;
    }

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
