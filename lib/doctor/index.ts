export {
  ACT_POLICIES,
  DOCTOR_DEFAULT_MODEL,
  type DoctorCheck,
  type DoctorInput,
  type DoctorReport,
  READ_POLICIES,
  ResponseDates,
  runDoctor,
  shortKey,
} from "./checks";
export { formatDoctorReport } from "./format";
