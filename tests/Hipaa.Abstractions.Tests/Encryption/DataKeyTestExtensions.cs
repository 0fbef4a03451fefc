using Hipaa.Encryption;

namespace Hipaa.Tests.Encryption;

/// <summary>Test access to a data key's material (a copy taken under a lease, as production code reads it).</summary>
internal static class DataKeyTestExtensions
{
    extension(DataKey key)
    {
        /// <summary>Gets a copy of the key material; throws <see cref="DataKeyEvictedException"/> once the key was evicted.</summary>
        public byte[] Material
        {
            get
            {
                using var lease = key.LeaseMaterial();
                return lease.Material.ToArray();
            }
        }
    }
}
