using System.Runtime.CompilerServices;
using Hipaa.Auditing;
using Hipaa.Fhir;

namespace Hipaa.Fhir.Tests.RightOfAccess;

/// <summary>An audit sink that keeps what it is given, or refuses everything while <see cref="Down"/>.</summary>
internal sealed class RecordingAuditSink : IAuditSink
{
    private readonly List<AuditRecord> _records = [];

    public bool Down { get; set; }

    public IReadOnlyList<AuditRecord> Records
    {
        get
        {
            lock (_records)
            {
                return [.. _records];
            }
        }
    }

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        if (Down)
        {
            throw new AuditUnavailableException("The test audit store is down.");
        }

        lock (_records)
        {
            _records.AddRange(records);
        }

        return Task.CompletedTask;
    }
}

/// <summary>A source over entities in memory, as if read from a DbContext; counts its reads.</summary>
internal sealed class InMemorySource(params object[] entities) : IPatientRecordSource
{
    private int _reads;

    public int Reads => Volatile.Read(ref _reads);

    public async IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        foreach (object entity in entities)
        {
            await Task.Yield();
            yield return RecordMapping.Record(entity);
        }
    }
}

/// <summary>A source whose mapping is given per test (to name another patient, return nothing …).</summary>
internal sealed class MappedSource(Func<PatientRecord> record) : IPatientRecordSource
{
    public async IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        yield return record();
    }
}
