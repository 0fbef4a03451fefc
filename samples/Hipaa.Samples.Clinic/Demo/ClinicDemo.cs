using System.Data.Common;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;
using Hipaa.Fhir;
using Hipaa.Policy;
using Hipaa.Samples.Clinic.Compliance;
using Hipaa.Samples.Clinic.Model;
using Hipaa.Samples.Clinic.Seed;
using Hipaa.Samples.Clinic.Web;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Spectre.Console;
using Consent = Hipaa.Policy.Consent;
using Task = System.Threading.Tasks.Task;

namespace Hipaa.Samples.Clinic.Demo;

/// <summary>
/// <c>dotnet run --project samples/Hipaa.Samples.Clinic -- demo</c>: the seed's story in the terminal, on a fresh copy of
/// the practice in <c>DATA/demo</c> (the web app's data is left alone).
/// </summary>
public static class ClinicDemo
{
    /// <summary>Runs the story and returns the exit code (0 when every step behaved as told).</summary>
    /// <param name="settings">Where the data lives; the demo uses the <c>demo</c> folder under it.</param>
    /// <param name="output">Where the story is written.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(ClinicSettings settings, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = ReferenceEquals(output, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No,
            Interactive = ReferenceEquals(output, Console.Out) ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
        {
            console.Profile.Width = 200; // a log or a pipe: tables on one line per row
        }

        var demo = new ClinicSettings
        {
            DataDirectory = Path.Combine(settings.DataDirectory, "demo"),
            PostgresConnectionString = settings.PostgresConnectionString,
        };
        if (demo.UsesPostgres)
        {
            console.MarkupLine("[yellow]The demo on PostgreSQL needs an empty database: it tampers with and shreds what it seeds.[/]");
        }
        else if (Directory.Exists(demo.DataDirectory))
        {
            Directory.Delete(demo.DataDirectory, recursive: true);
        }

        await ClinicServices.EnsureClinicDatabaseAsync(demo);
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Critical)); // the demo prints the failures it provokes itself
        services.AddClinic(demo, web: false);
        await using ServiceProvider provider = services.BuildServiceProvider();
        var story = new Story(provider, demo, console);
        try
        {
            await story.TellAsync();
        }
        catch (DemoStepFailedException failed)
        {
            console.MarkupLineInterpolated($"[red]The demo went wrong: {failed.Message}[/]");
            return 1;
        }

        return 0;
    }

    private sealed class DemoStepFailedException(string message) : Exception(message);

    private sealed class Story(IServiceProvider services, ClinicSettings settings, IAnsiConsole console)
    {
        private readonly IDbContextFactory<ClinicDb> _contexts = services.GetRequiredService<IDbContextFactory<ClinicDb>>();
        private readonly PolicyEngine _engine = services.GetRequiredService<PolicyEngine>();
        private readonly IConsentStore _consents = services.GetRequiredService<IConsentStore>();
        private readonly ClinicSeed _seed = ClinicSeed.Default;

        private SeedPatient Ada => _seed.Ada;

        public async Task TellAsync()
        {
            console.Write(new Rule("[bold]The sample clinic: a behavioral-health practice on Hipaa.Sdk[/]").LeftJustified());
            await console.Status().StartAsync("Seeding the practice …", async status =>
            {
                await _seed.SeedAsync(services, step => status.Status("Seeding: " + step));
            });
            console.MarkupLineInterpolated($"Seeded {_seed.Staff.Count} staff and {_seed.Patients.Count} patients in {settings.DataDirectory}; every record was written under its author's access context, decided by policy and audited.");

            await RawDatabaseAsync();
            await SameChartThreeRolesAsync();
            await RefusedWriteAndSearchAsync();
            await Part2DisclosureAsync();
            await RightOfAccessAsync();
            await BreakTheGlassAsync();
            await WhoAccessedAsync();
            await TamperedCiphertextAsync();
            await TamperedAuditRowAsync();
            await CryptoShredAsync();

            Step("Done");
            console.MarkupLineInterpolated($"Files are in {settings.DataDirectory} (dev.kek is the development key-encryption key). Run the web app with: dotnet run --project samples/Hipaa.Samples.Clinic");
        }

        private async Task RawDatabaseAsync()
        {
            Step("1. What someone with a copy of the database sees (plain ADO.NET, no keys)");
            await using DbConnection raw = Open();
            await using DbCommand command = raw.CreateCommand();
            command.CommandText = "SELECT \"DisplayName\", \"Ssn\", \"Mrn_bidx\" FROM \"Patients\" ORDER BY \"Mrn_bidx\" LIMIT 3";
            await using DbDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                console.MarkupLineInterpolated($"   {reader.GetString(0),-10} Ssn={Hex(reader.GetFieldValue<byte[]>(1))}  Mrn index={Hex(reader.GetFieldValue<byte[]>(2))}");
            }
        }

        private async Task SameChartThreeRolesAsync()
        {
            Step($"2. The same chart ({Ada.Name}) seen by her therapist, her psychiatrist and billing");
            string[] who = ["u-ther-1", "u-psy-1", "u-bill-1"];
            var table = new Table().AddColumn("record").AddColumns(who.Select(w => $"{_seed.StaffMember(w).Name} ({_seed.StaffMember(w).Role})").ToArray());
            await AddRowAsync(table, who, "Progress note", DataCategory.ProgressNote, null, async db => (await db.ProgressNotes.FirstAsync(n => n.PatientId == Ada.Id)).Text);
            await AddRowAsync(table, who, "Psychotherapy note", DataCategory.PsychotherapyNote, "u-ther-1", async db => (await db.PsychotherapyNotes.FirstAsync(n => n.PatientId == Ada.Id)).Text, SensitivityLabel.PsychotherapyNote);
            await AddRowAsync(table, who, "Prescription", DataCategory.Medication, null, async db => (await db.Prescriptions.FirstAsync(n => n.PatientId == Ada.Id)) is var m ? m.Drug + " " + m.Dose : string.Empty);
            await AddRowAsync(table, who, "Diagnosis", DataCategory.Diagnosis, null, async db => (await db.Diagnoses.FirstAsync(n => n.PatientId == Ada.Id)) is var d ? d.Code + " " + (d.Narrative ?? "(narrative masked: minimum necessary)") : string.Empty);
            await AddRowAsync(table, who, "Claim", DataCategory.Claim, null, async db => (await db.Claims.FirstAsync(n => n.PatientId == Ada.Id)) is var c ? c.ProcedureCode + " " + c.Payer + " " + c.Status : string.Empty);
            console.Write(table);
        }

        private async Task AddRowAsync(Table table, string[] who, string what, DataCategory category, string? authorId, Func<ClinicDb, Task<string>> read, params SensitivityLabel[] labels)
        {
            var cells = new List<string> { what };
            foreach (string userId in who)
            {
                AccessContext context = _seed.ContextFor(userId);
                AccessDecision decision = _engine.Decide(new AccessRequest
                {
                    Actor = context.Actor,
                    PatientId = Ada.PatientId,
                    Category = category,
                    Labels = labels,
                    AuthorId = authorId,
                    Action = PhiAction.Read,
                    Purpose = context.PurposeOfUse,
                    Consents = await _consents.ListAsync(Ada.PatientId),
                    At = DateTimeOffset.UtcNow,
                });
                cells.Add(decision.IsPermitted
                    ? Markup.Escape(await AsAsync(context, read))
                    : $"[red]withheld[/]: {Markup.Escape(decision.Rule.Id)}");
            }

            table.AddRow(cells.ToArray());
        }

        private async Task RefusedWriteAndSearchAsync()
        {
            Step("3. The front desk may not write clinical notes; an encrypted column is searchable by equality only");
            try
            {
                await AsAsync(_seed.ContextFor("u-desk-1"), async db =>
                {
                    db.ProgressNotes.Add(new ProgressNote { Id = Guid.NewGuid(), PatientId = Ada.Id, AuthorId = "u-desk-1", WrittenAt = DateTimeOffset.UtcNow, Text = "front desk tries to write a note" });
                    await db.SaveChangesAsync();
                    return string.Empty;
                });
                throw new DemoStepFailedException("the front desk wrote a progress note.");
            }
            catch (PhiAccessDeniedException denied)
            {
                console.MarkupLineInterpolated($"   front desk writing a progress note: refused ({denied.Decision!.Rule.Id})");
            }

            string found = await AsAsync(_seed.ContextFor("u-desk-1"), async db => (await db.Patients.SingleAsync(p => p.Mrn == _seed.Ben.Mrn)).DisplayName);
            console.MarkupLineInterpolated($"   Where(p => p.Mrn == \"{_seed.Ben.Mrn}\") -> {found} (through the blind index; no plaintext in the query)");
            try
            {
                await AsAsync(_seed.ContextFor("u-desk-1"), async db => (await db.Patients.Where(p => p.Mrn.StartsWith("MRN")).ToListAsync()).Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                throw new DemoStepFailedException("StartsWith on an encrypted column was not refused.");
            }
            catch (NotSupportedException refused)
            {
                console.MarkupLineInterpolated($"   StartsWith refused: {FirstSentence(refused.Message)}");
            }
        }

        private async Task Part2DisclosureAsync()
        {
            Step($"4. {Ada.Name}'s SUD program records (42 CFR Part 2) disclosed to the county hospital");
            var disclosures = services.GetRequiredService<PhiDisclosures>();
            var request = new DisclosureRequest
            {
                PatientId = Ada.PatientId,
                Category = DataCategory.ProgressNote,
                Labels = [SensitivityLabel.SubstanceUseDisorder],
                Recipient = ClinicSeed.CountyHospital,
                Description = "SUD program records (progress notes)",
            };
            AccessDecision refused = await AsAsync(_seed.ContextFor("u-ther-1"), _ => disclosures.DecideAndRecordAsync(request));
            Expect(!refused.IsPermitted, "a Part 2 disclosure without consent was permitted");
            console.MarkupLineInterpolated($"   without a consent: [red]refused[/] ({refused.Rule.Id}): {refused.Explanation}");

            await _consents.RecordAsync(
                new Consent("part2-" + Ada.Mrn, Ada.PatientId, ConsentKind.Part2, [ClinicSeed.CountyHospital], [PurposeOfUse.Treatment], [DataCategory.ProgressNote], DateTimeOffset.UtcNow.AddMinutes(-1)),
                "u-desk-1");
            console.MarkupLine("   Ada signs a Part 2 consent naming the county hospital, treatment, progress notes.");
            AccessDecision permitted = await AsAsync(_seed.ContextFor("u-ther-1"), _ => disclosures.DecideAndRecordAsync(request));
            Expect(permitted.IsPermitted && permitted.HasObligation(Obligation.RedisclosureNotice), "the consented Part 2 disclosure was not permitted with the redisclosure notice");
            console.MarkupLineInterpolated($"   with the consent: [green]permitted[/] ({permitted.Rule.Id}, consent {permitted.ConsentId}); obligations: {string.Join(", ", permitted.Obligations)}");
            console.MarkupLineInterpolated($"   redisclosure notice (42 CFR 2.32) sent with the records: \"{RedisclosureNotice.Text[..110]}…\"");
        }

        private async Task RightOfAccessAsync()
        {
            Step($"5. {Ada.Name} asks for a copy of her record (PatientRecordExport, 45 CFR 164.524)");
            var patient = new AccessContext(new Actor(Ada.PatientId, [WellKnownRoles.Patient], "practice"), PurposeOfUse.PatientRequest)
            {
                ClientApplication = "patient-portal",
            };
            Bundle bundle;
            using (AccessContext.Begin(patient))
            await using (AsyncServiceScope scope = services.CreateAsyncScope())
            {
                bundle = await scope.ServiceProvider.GetRequiredService<PatientRecordExport>().ExportAsync(Ada.PatientId);
            }

            Resource[] resources = [.. bundle.Entry.Select(e => e.Resource).OfType<Resource>()];
            string json = System.Text.Json.JsonSerializer.Serialize(bundle, new System.Text.Json.JsonSerializerOptions().ForFhir());
            Expect(!json.Contains("transference", StringComparison.Ordinal), "the psychotherapy note reached the patient's copy");
            console.MarkupLineInterpolated($"   a FHIR Bundle of {resources.Count(r => r is not OperationOutcome)} records: {string.Join(", ", resources.Where(r => r is not OperationOutcome).GroupBy(r => r.TypeName).Select(g => $"{g.Count()} {g.Key}"))}");
            foreach (OperationOutcome.IssueComponent issue in resources.OfType<OperationOutcome>().SelectMany(o => o.Issue))
            {
                console.MarkupLineInterpolated($"   [yellow]withheld[/]: {(issue.Details?.Text ?? string.Empty).Split(" You may complain")[0]}");
            }
        }

        private async Task BreakTheGlassAsync()
        {
            Step($"6. Break-the-glass: a therapist who does not treat {Ada.Name} needs her chart in an emergency");
            AccessContext ordinary = _seed.ContextFor("u-ther-3");
            try
            {
                await AsAsync(ordinary, async db => (await db.ProgressNotes.FirstAsync(n => n.PatientId == Ada.Id)).Text is { Length: > 0 } ? "read" : throw new PhiAccessDeniedException("redacted"));
                throw new DemoStepFailedException("a therapist off the care team read the chart.");
            }
            catch (PhiAccessDeniedException)
            {
                console.MarkupLineInterpolated($"   {_seed.StaffMember("u-ther-3").Name}, ordinary access: [red]withheld[/] (matrix.care-team-required)");
            }

            AccessContext emergency = _seed.ContextFor("u-ther-3", PurposeOfUse.EmergencyTreatment, "Patient in crisis in the waiting room; her therapist is away.");
            string note = await AsAsync(emergency, async db => (await db.ProgressNotes.FirstAsync(n => n.PatientId == Ada.Id)).Text);
            Expect(note.Length > 0, "the break-the-glass read returned nothing");
            console.MarkupLineInterpolated($"   with ETREAT and a reason: [green]permitted[/] (break-glass.emergency-access): \"{note}\"");

            using (AccessContext.Begin(_seed.ContextFor("u-priv-1")))
            await using (ClinicDb db = await _contexts.CreateDbContextAsync())
            {
                var reports = services.GetRequiredService<AuditReports>();
                var accesses = await ComplianceEndpoints.BreakGlassAccessesAsync(reports, db, CancellationToken.None);
                var pending = accesses.Where(a => a.Review is null).ToList();
                Expect(pending.Count > 0, "no break-the-glass access waits for review");
                console.MarkupLineInterpolated($"   compliance officer: {pending.Count} break-the-glass access(es) pending review — {NameOf(pending[0].First.ActorId)}, \"{pending[0].First.BreakGlassReason}\"");
                db.BreakGlassReviews.AddRange(pending.Select(p => new BreakGlassReview { Id = p.Id, ReviewedBy = "u-priv-1", ReviewedAt = DateTimeOffset.UtcNow, Finding = "Justified: crisis documented in the ED referral." }));
                await db.SaveChangesAsync();
                console.MarkupLine("   reviewed: justified (crisis documented). Pending reviews: 0");
            }
        }

        private async Task WhoAccessedAsync()
        {
            Step($"7. Who accessed {Ada.Name}'s records? (the compliance officer's report; reading the trail is itself audited)");
            using IDisposable scope = AccessContext.Begin(_seed.ContextFor("u-priv-1"));
            var reports = services.GetRequiredService<AuditReports>();
            IReadOnlyList<AuditRecord> records = await reports.WhoAccessedAsync(Ada.PatientId);
            var table = new Table().AddColumns("who", "action", "record", "outcome", "purpose", "decision");
            foreach (AuditRecord r in records.TakeLast(12))
            {
                table.AddRow(Markup.Escape(r.ActorId), r.Action.ToString(), Markup.Escape(r.Entity), r.Outcome == AuditOutcome.Success ? "[green]Success[/]" : "[red]Denied[/]", r.PurposeOfUse, Markup.Escape(r.Decision ?? string.Empty));
            }

            console.MarkupLineInterpolated($"   {records.Count} audit records; the latest 12:");
            console.Write(table);
            IReadOnlyList<DisclosureAccountingEntry> part2 = await reports.Part2DisclosuresAsync(Ada.PatientId);
            console.MarkupLineInterpolated($"   42 CFR Part 2 list of disclosures: {part2.Count} (to {string.Join(", ", part2.Select(p => p.Recipient))}); the 164.528 accounting leaves treatment disclosures out: {(await reports.AccountingOfDisclosuresAsync(Ada.PatientId)).Count}");
        }

        private async Task TamperedCiphertextAsync()
        {
            Step($"8. Tampering with data: copy {Ada.Name}'s SSN ciphertext into {_seed.Ben.Name}'s row");
            await ExecuteAsync($"UPDATE \"Patients\" SET \"Ssn\" = (SELECT \"Ssn\" FROM \"Patients\" WHERE \"DisplayName\" = '{Ada.Name}') WHERE \"DisplayName\" = '{_seed.Ben.Name}'");
            try
            {
                await AsAsync(_seed.ContextFor("u-desk-1"), async db => (await db.Patients.SingleAsync(p => p.Id == _seed.Ben.Id)).Ssn ?? string.Empty);
                throw new DemoStepFailedException("a moved ciphertext decrypted.");
            }
            catch (FieldDecryptionException tampered)
            {
                console.MarkupLineInterpolated($"   {tampered.Failure}: {FirstSentence(tampered.Message)}");
            }
        }

        private async Task TamperedAuditRowAsync()
        {
            Step("9. Tampering with the audit trail: an insider hides the break-the-glass access");
            (int exit, string output) = (-1, string.Empty);
            await console.Status().StartAsync("Waiting for the trail to be sealed, then verifying (hipaa audit verify) …", async _ =>
            {
                await WaitUntilSealedAsync();
                (exit, output) = await TrailVerification.VerifyAsync(settings);
            });
            Expect(exit == TrailVerification.Verified, $"the untouched trail did not verify (exit {exit}): {output}");
            console.MarkupLineInterpolated($"   before: [green]verified[/] — {FirstLine(output)}");

            int changed = await ExecuteAsync("UPDATE hipaa_audit SET actor_id = 'u-ther-1', purpose_of_use = 'TREAT', break_glass_reason = NULL "
                + "WHERE break_glass_reason IS NOT NULL AND chain_position IS NOT NULL");
            Expect(changed > 0, "no sealed break-the-glass record to tamper with");
            console.MarkupLineInterpolated($"   UPDATE hipaa_audit: {changed} sealed break-the-glass record(s) now claim Ada's own therapist read her chart, for treatment");
            await console.Status().StartAsync("Verifying again …", async _ => (exit, output) = await TrailVerification.VerifyAsync(settings));
            Expect(exit == TrailVerification.Failed, $"the tampered trail was not caught (exit {exit}): {output}");
            console.MarkupLineInterpolated($"   after:  [red]caught[/] — {FirstLine(output)}");
        }

        private async Task CryptoShredAsync()
        {
            Step($"10. Right to erasure: crypto-shred {Ada.Name}'s data key");
            var keys = services.GetRequiredService<FieldEncryptionKeyManager>();
            int destroyed = await AsAsync(AccessContext.ForKeyMaintenance("erasure"), db => keys.ShredAsync(DataKeyScope.ForPatient(Ada.PatientId), db));
            console.MarkupLineInterpolated($"   destroyed {destroyed} data key(s) of patient {Ada.PatientId}");
            try
            {
                await AsAsync(_seed.ContextFor("u-ther-1"), async db => (await db.ProgressNotes.FirstAsync(n => n.PatientId == Ada.Id)).Text);
                throw new DemoStepFailedException("a shredded patient's note decrypted.");
            }
            catch (FieldDecryptionException shredded)
            {
                console.MarkupLineInterpolated($"   her progress note now: {shredded.Failure}: {FirstSentence(shredded.Message)}");
            }

            IReadOnlyList<Consent> left = await _consents.ListAsync(Ada.PatientId);
            console.MarkupLineInterpolated($"   her consents readable: {left.Count} (encrypted under the same key)");
        }

        /// <summary>Waits (at most 30 s) until the background sealer has sealed every record written so far.</summary>
        private async Task WaitUntilSealedAsync()
        {
            for (int attempt = 0; attempt < 300; attempt++)
            {
                await using DbConnection raw = Open();
                await using DbCommand command = raw.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM hipaa_audit WHERE chain_position IS NULL";
                if (Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) == 0)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        }

        private async Task<T> AsAsync<T>(AccessContext who, Func<ClinicDb, Task<T>> work)
        {
            using IDisposable scope = AccessContext.Begin(who);
            await using ClinicDb db = await _contexts.CreateDbContextAsync();
            return await work(db);
        }

        private DbConnection Open()
        {
            DbConnection connection = settings.UsesPostgres ? new NpgsqlConnection(settings.ClinicConnectionString) : new SqliteConnection(settings.ClinicConnectionString);
            connection.Open();
            return connection;
        }

        private async Task<int> ExecuteAsync(string sql)
        {
            await using DbConnection raw = Open();
            await using DbCommand command = raw.CreateCommand();
            command.CommandText = sql;
            return await command.ExecuteNonQueryAsync();
        }

        private void Step(string title)
        {
            console.WriteLine();
            console.Write(new Rule($"[bold]{Markup.Escape(title)}[/]").LeftJustified());
        }

        private static void Expect(bool condition, string failure)
        {
            if (!condition)
            {
                throw new DemoStepFailedException(failure);
            }
        }

        private static string NameOf(string? userId) => Html.NameOf(userId);

        private static string FirstSentence(string text) => text.Split(". ")[0].TrimEnd('.') + ".";

        private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? string.Empty;

        private static string Hex(byte[] value) => Convert.ToHexString(value.AsSpan(0, Math.Min(value.Length, 12))) + "…";
    }
}
