/// Builds the frames this client sends: pongs, closes, and in conformance tests echoed messages.
///
/// RFC 6455 §5.3: "The masking key is a 32-bit value chosen at random by the client." and §5.1:
/// "a client MUST mask all frames that it sends to the server". Every frame built here is masked;
/// there is no way to ask for an unmasked one.
public enum FrameEncoder {
    /// Bytes a frame with `payloadCount` bytes of payload occupies: header (with the masking key)
    /// plus payload.
    public static func encodedCount(payloadCount: Int) -> Int {
        precondition(payloadCount >= 0)
        let lengthBytes = payloadCount <= 125 ? 0 : (payloadCount <= 0xFFFF ? 2 : 8)
        return 2 + lengthBytes + 4 + payloadCount
    }

    /// Writes a complete masked frame into `out`, which must hold `encodedCount(payloadCount:)` bytes,
    /// and returns that count. Allocates nothing, for callers that keep their own send buffer.
    @discardableResult
    public static func encode(opcode: Opcode, payload: UnsafeRawBufferPointer, fin: Bool = true,
                              mask: (UInt8, UInt8, UInt8, UInt8), into out: UnsafeMutableRawBufferPointer) -> Int {
        let count = payload.count
        if opcode.isControl {
            // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be
            // fragmented." Breaking that here would be our own bug, not the peer's.
            precondition(fin && count <= 125, "control frames are at most 125 bytes and never fragmented")
        }
        let total = encodedCount(payloadCount: count)
        precondition(out.count >= total, "output buffer too small for the frame")
        var i = 0
        out[i] = (fin ? 0x80 : 0) | opcode.rawValue; i += 1
        if count <= 125 {
            out[i] = 0x80 | UInt8(count); i += 1
        } else if count <= 0xFFFF {
            out[i] = 0x80 | 126; i += 1
            out[i] = UInt8(count >> 8); out[i + 1] = UInt8(count & 0xFF); i += 2
        } else {
            out[i] = 0x80 | 127; i += 1
            let length = UInt64(count)
            for shift in stride(from: 56, through: 0, by: -8) { out[i] = UInt8(truncatingIfNeeded: length >> UInt64(shift)); i += 1 }
        }
        out[i] = mask.0; out[i + 1] = mask.1; out[i + 2] = mask.2; out[i + 3] = mask.3; i += 4
        if count > 0 {
            let dst = UnsafeMutableRawBufferPointer(rebasing: out[i..<(i + count)])
            dst.copyMemory(from: payload)
            applyMask(mask, to: dst)
        }
        return total
    }

    /// A complete client frame, masked with `mask`.
    public static func encode(opcode: Opcode, payload: UnsafeRawBufferPointer, fin: Bool = true,
                              mask: (UInt8, UInt8, UInt8, UInt8)) -> [UInt8] {
        let total = encodedCount(payloadCount: payload.count)
        return [UInt8](unsafeUninitializedCapacity: total) { storage, initialized in
            initialized = encode(opcode: opcode, payload: payload, fin: fin, mask: mask,
                                 into: UnsafeMutableRawBufferPointer(storage))
        }
    }

    /// A complete client frame, masked with a fresh key from the system random number generator.
    public static func encode(opcode: Opcode, payload: UnsafeRawBufferPointer, fin: Bool = true) -> [UInt8] {
        encode(opcode: opcode, payload: payload, fin: fin, mask: randomMask())
    }

    /// A complete client frame for an array payload, masked with `mask`.
    public static func encode(opcode: Opcode, payload: [UInt8], fin: Bool = true,
                              mask: (UInt8, UInt8, UInt8, UInt8)) -> [UInt8] {
        payload.withUnsafeBytes { encode(opcode: opcode, payload: $0, fin: fin, mask: mask) }
    }

    /// A complete client frame for an array payload, masked with a fresh random key.
    public static func encode(opcode: Opcode, payload: [UInt8], fin: Bool = true) -> [UInt8] {
        payload.withUnsafeBytes { encode(opcode: opcode, payload: $0, fin: fin) }
    }

    /// A masking key from the system RNG. §10.3: the key must not be predictable by the application
    /// or intermediaries, so it comes from a strong source, fresh for each frame.
    public static func randomMask() -> (UInt8, UInt8, UInt8, UInt8) {
        var rng = SystemRandomNumberGenerator()
        let r = rng.next() as UInt32
        return (UInt8(truncatingIfNeeded: r >> 24), UInt8(truncatingIfNeeded: r >> 16),
                UInt8(truncatingIfNeeded: r >> 8), UInt8(truncatingIfNeeded: r))
    }

    /// XORs `bytes` in place with the key repeated (§5.3: octet i is XORed with key octet i mod 4).
    /// Applying it twice restores the input. Works a word at a time on long payloads.
    public static func applyMask(_ mask: (UInt8, UInt8, UInt8, UInt8), to bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var i = 0
        if count >= 8 {
            // The key repeated over 8 bytes, laid out in memory order (the key starts at offset 0).
            var wide: UInt64 = 0
            withUnsafeMutableBytes(of: &wide) { w in
                for j in 0..<8 { w[j] = j % 4 == 0 ? mask.0 : j % 4 == 1 ? mask.1 : j % 4 == 2 ? mask.2 : mask.3 }
            }
            while i + 8 <= count {
                let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                base.storeBytes(of: word ^ wide, toByteOffset: i, as: UInt64.self)
                i += 8
            }
        }
        while i < count {
            let k: UInt8 = i % 4 == 0 ? mask.0 : i % 4 == 1 ? mask.1 : i % 4 == 2 ? mask.2 : mask.3
            base.storeBytes(of: base.load(fromByteOffset: i, as: UInt8.self) ^ k, toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }
}
