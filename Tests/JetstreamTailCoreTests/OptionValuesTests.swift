import Testing
@testable import JetstreamTailCore

private func reason(_ body: () throws(UsageError) -> Void) -> String? {
    do { try body(); return nil } catch { return error.description }
}

@Suite struct OptionValuesTests {
    @Test func wholeNumbersAreDecimalDigitsWithAnOptionalMinus() throws {
        #expect(try OptionValue.wholeNumber("0", option: "--x") == 0)
        #expect(try OptionValue.wholeNumber("-12", option: "--x") == -12)
        #expect(try OptionValue.wholeNumber("9223372036854775807", option: "--x") == .max)
        for bad in ["", "-", "+1", "0x10", "1_000", " 1", "1 ", "１"] {
            #expect(reason { () throws(UsageError) in _ = try OptionValue.wholeNumber(bad, option: "--x") }
                == "invalid value '\(bad)' for '--x': expected a whole number")
        }
        #expect(reason { () throws(UsageError) in _ = try OptionValue.wholeNumber("9223372036854775808", option: "--x") }
            == "invalid value '9223372036854775808' for '--x': number too large")
    }

    @Test func secondsArePlainDecimals() throws {
        #expect(try OptionValue.seconds("0", option: "--x") == 0)
        #expect(try OptionValue.seconds("0.25", option: "--x") == 0.25)
        #expect(try OptionValue.seconds(".5", option: "--x") == 0.5)
        #expect(try OptionValue.seconds("3.", option: "--x") == 3)
        for bad in ["", ".", "-1", "1e3", "inf", "nan", "0x1p3", "1.2.3", "1,5", "+2"] {
            #expect(reason { () throws(UsageError) in _ = try OptionValue.seconds(bad, option: "--x") }
                == "invalid value '\(bad)' for '--x': expected a number of seconds, such as 10 or 2.5")
        }
    }

    @Test func byteCountsTakeBinarySuffixesInAnyCase() throws {
        #expect(try OptionValue.byteCount("0", option: "--x") == 0)
        #expect(try OptionValue.byteCount("7", option: "--x") == 7)
        #expect(try OptionValue.byteCount("3k", option: "--x") == 3 << 10)
        #expect(try OptionValue.byteCount("3KiB", option: "--x") == 3 << 10)
        #expect(try OptionValue.byteCount("3KIB", option: "--x") == 3 << 10)
        #expect(try OptionValue.byteCount("5m", option: "--x") == 5 << 20)
        #expect(try OptionValue.byteCount("2GiB", option: "--x") == 2 << 30)
        for bad in ["", "K", "1KB", "1MB", "1 M", "1.5M", "-1", "1T", "1Ki", "1B"] {
            #expect(reason { () throws(UsageError) in _ = try OptionValue.byteCount(bad, option: "--x") }
                == "invalid value '\(bad)' for '--x': expected a byte count such as 65536, 512K or 4MiB")
        }
    }

    @Test func hugeByteCountsClampInsteadOfOverflowing() throws {
        #expect(try OptionValue.byteCount("99999999999G", option: "--x") == 1 << 53)
        #expect(try OptionValue.byteCount("99999999999999999", option: "--x") == 1 << 53)
    }

    @Test func readableFileIsCheckedNow() throws {
        #expect(try OptionValue.readableFile(#filePath, option: "--x") == #filePath)
        #expect(reason { () throws(UsageError) in _ = try OptionValue.readableFile("", option: "--x") }
            == "cannot read '' given to '--x': No such file or directory")
        #expect(reason { () throws(UsageError) in _ = try OptionValue.readableFile("/tmp", option: "--x") }
            == "cannot read '/tmp' given to '--x': Is a directory")
    }

    @Test func formatBytesUsesTheLargestExactUnit() {
        #expect(OptionValue.formatBytes(4 << 20) == "4MiB")
        #expect(OptionValue.formatBytes(1 << 30) == "1GiB")
        #expect(OptionValue.formatBytes(1024) == "1KiB")
        #expect(OptionValue.formatBytes(1536) == "1536")
        #expect(OptionValue.formatBytes(0) == "0")
    }

    @Test func formatSecondsDropsAWholeNumbersFraction() {
        #expect(OptionValue.formatSeconds(10) == "10")
        #expect(OptionValue.formatSeconds(2.5) == "2.5")
        #expect(OptionValue.formatSeconds(0) == "0")
    }
}
