namespace Hipaa.EfCore.Encryption;

/// <summary>
/// The <see cref="BlindIndexFilter"/>s of compiled queries, by number. EF Core refuses an object constant in a client
/// projection (it could keep large objects alive), so the verifying projection names its filter by an integer and fetches
/// it per row. Filters are shared by what they check (runtime, properties, comparisons, conditions), so the registry grows
/// with the number of distinct search shapes an application compiles, not with the number of compilations.
/// </summary>
internal static class BlindIndexFilterRegistry
{
    private static readonly object Gate = new();
    private static readonly Dictionary<(FieldEncryptionRuntime Runtime, string Shape), int> Ids = [];
    private static BlindIndexFilter[] _filters = new BlindIndexFilter[16];
    private static int _count;

    /// <summary>Returns the number of <paramref name="filter"/> (or of an equal one registered before).</summary>
    public static int Register(FieldEncryptionRuntime runtime, BlindIndexFilter filter)
    {
        lock (Gate)
        {
            if (Ids.TryGetValue((runtime, filter.Shape), out var id))
            {
                return id;
            }

            if (_count == _filters.Length)
            {
                var grown = new BlindIndexFilter[_count * 2];
                Array.Copy(_filters, grown, _count);
                Volatile.Write(ref _filters, grown);
            }

            id = _count;
            _filters[id] = filter;
            _count++;
            Ids.Add((runtime, filter.Shape), id);
            return id;
        }
    }

    /// <summary>Gets the filter of number <paramref name="id"/>.</summary>
    public static BlindIndexFilter Get(int id) => Volatile.Read(ref _filters)[id];
}
