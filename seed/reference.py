"""Reference data for generating demo people, units, facilities and content.

The administrative units (provinces, districts, wards) live in `models/admin_units.py`, which
serving reads too; they are re-exported here for the generators.
"""

from __future__ import annotations

import unicodedata

from models.admin_units import (
    DISTRICTS,
    DISTRICTS_WITHOUT_COMMUNES,
    PROVINCES,
    PROVINCES_2025,
    WARDS,
    District,
    Province,
    Ward,
)

__all__ = [
    "DISTRICTS",
    "DISTRICTS_WITHOUT_COMMUNES",
    "PROVINCES",
    "PROVINCES_2025",
    "WARDS",
    "District",
    "Province",
    "Ward",
]

# ---------------------------------------------------------------------------
# Names for generating realistic people.
# ---------------------------------------------------------------------------

# Weights approximate the share (in per-mille-ish units) of each surname in the
# population so that a weighted random pick reproduces the real skew (Nguyễn
# alone covers roughly two people in five).
SURNAMES: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 31),
    ("Huỳnh", 20),
    ("Phan", 45),
    ("Vũ", 25),
    ("Võ", 14),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 6),
    ("Trương", 5),
    ("Mai", 4),
    ("Trịnh", 4),
    ("Đào", 4),
    ("Lương", 3),
    ("Cao", 3),
    ("Tạ", 2),
    ("Lâm", 2),
    ("Chu", 2),
    ("Hà", 3),
    ("Tô", 2),
    ("Kiều", 1),
    ("Quách", 1),
)

MIDDLE_NAMES_MALE: tuple[str, ...] = (
    "Văn",
    "Hữu",
    "Đức",
    "Thành",
    "Minh",
    "Quang",
    "Công",
    "Xuân",
    "Ngọc",
    "Trung",
    "Mạnh",
    "Hoàng",
    "Anh",
    "Tuấn",
    "Việt",
    "Duy",
    "Gia",
    "Thanh",
    "Bá",
    "Đình",
)

MIDDLE_NAMES_FEMALE: tuple[str, ...] = (
    "Thị",
    "Ngọc",
    "Thu",
    "Thanh",
    "Kim",
    "Minh",
    "Thùy",
    "Phương",
    "Hồng",
    "Bảo",
    "Mai",
    "Diệu",
    "Khánh",
    "Hải",
    "Lan",
)

GIVEN_NAMES_MALE: tuple[str, ...] = (
    "An",
    "Anh",
    "Bảo",
    "Bình",
    "Cường",
    "Chiến",
    "Công",
    "Dũng",
    "Duy",
    "Dương",
    "Đạt",
    "Đông",
    "Đức",
    "Giang",
    "Hải",
    "Hào",
    "Hiếu",
    "Hiệp",
    "Hòa",
    "Hoàng",
    "Hùng",
    "Huy",
    "Hưng",
    "Khải",
    "Khang",
    "Khánh",
    "Khoa",
    "Kiên",
    "Lâm",
    "Linh",
    "Long",
    "Lộc",
    "Lợi",
    "Luân",
    "Mạnh",
    "Minh",
    "Nam",
    "Nghĩa",
    "Nhân",
    "Phát",
    "Phong",
    "Phúc",
    "Phương",
    "Quân",
    "Quang",
    "Quý",
    "Sơn",
    "Tài",
    "Tâm",
    "Thắng",
    "Thành",
    "Thịnh",
    "Thông",
    "Tiến",
    "Toàn",
    "Trí",
    "Trung",
    "Trường",
    "Tú",
    "Tuấn",
    "Tùng",
    "Việt",
    "Vinh",
    "Vũ",
    "Vương",
)

GIVEN_NAMES_FEMALE: tuple[str, ...] = (
    "An",
    "Anh",
    "Ánh",
    "Bích",
    "Châu",
    "Chi",
    "Cúc",
    "Diệp",
    "Diệu",
    "Dung",
    "Duyên",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hồng",
    "Huế",
    "Huyền",
    "Hương",
    "Hường",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Ly",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Ngọc",
    "Nguyệt",
    "Nhàn",
    "Nhung",
    "Oanh",
    "Phượng",
    "Phương",
    "Quyên",
    "Quỳnh",
    "Sương",
    "Tâm",
    "Thảo",
    "Thắm",
    "Thanh",
    "Thu",
    "Thủy",
    "Thư",
    "Thương",
    "Trang",
    "Trâm",
    "Trinh",
    "Tuyết",
    "Uyên",
    "Vân",
    "Vy",
    "Xuân",
    "Yến",
    "Hiên",
    "Khuê",
    "Lam",
    "Nhi",
    "Tiên",
    "Hậu",
    "Đào",
)

STREET_NAMES: tuple[str, ...] = (
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Hùng Vương",
    "Quang Trung",
    "Lê Duẩn",
    "Nguyễn Trãi",
    "Phan Chu Trinh",
    "Phan Bội Châu",
    "Điện Biên Phủ",
    "Nguyễn Du",
    "Bà Triệu",
    "Lê Thánh Tông",
    "Trần Phú",
    "Nguyễn Văn Cừ",
    "Võ Thị Sáu",
    "Cách Mạng Tháng Tám",
    "Lý Thái Tổ",
    "Trường Chinh",
    "Nguyễn Thị Minh Khai",
    "Võ Văn Tần",
    "Pasteur",
    "Lê Lai",
    "Hoàng Hoa Thám",
    "Tôn Đức Thắng",
    "Nguyễn Văn Linh",
    "Phạm Văn Đồng",
    "Lạc Long Quân",
    "Âu Cơ",
    "Kim Mã",
    "Giải Phóng",
    "Tô Hiệu",
    "Lê Hồng Phong",
    "Ngô Quyền",
    "Nguyễn Tất Thành",
    "Hoàng Văn Thụ",
    "Lê Văn Sỹ",
    "Đinh Tiên Hoàng",
    "Phan Đình Phùng",
    "Nguyễn Chí Thanh",
    "Xuân Thủy",
    "Cầu Giấy",
    "Láng Hạ",
)

OCCUPATIONS: tuple[str, ...] = (
    "Công nhân",
    "Công nhân may",
    "Công nhân cơ khí",
    "Kế toán viên",
    "Kế toán trưởng",
    "Chuyên viên",
    "Chuyên viên chính",
    "Kỹ sư phần mềm",
    "Kỹ sư xây dựng",
    "Kỹ sư điện",
    "Nhân viên kinh doanh",
    "Nhân viên văn phòng",
    "Nhân viên bán hàng",
    "Nhân viên kho",
    "Nhân viên bảo vệ",
    "Giáo viên",
    "Giáo viên mầm non",
    "Giảng viên",
    "Điều dưỡng",
    "Bác sĩ",
    "Dược sĩ",
    "Kỹ thuật viên",
    "Lái xe",
    "Thủ quỹ",
    "Văn thư",
    "Trưởng phòng",
    "Phó trưởng phòng",
    "Giám đốc",
    "Phó giám đốc",
    "Lao động phổ thông",
    "Thợ hàn",
    "Thợ điện",
    "Đầu bếp",
    "Lễ tân",
    "Nhân viên chăm sóc khách hàng",
    "Nhân viên hành chính nhân sự",
)

UNIT_NAME_PATTERNS: tuple[str, ...] = (
    "Công ty TNHH {name}",
    "Công ty TNHH MTV {name}",
    "Công ty Cổ phần {name}",
    "Công ty Cổ phần Đầu tư {name}",
    "Công ty TNHH Thương mại và Dịch vụ {name}",
    "Công ty Cổ phần Xây dựng {name}",
    "Công ty TNHH Sản xuất {name}",
    "Công ty Cổ phần Công nghệ {name}",
    "Doanh nghiệp tư nhân {name}",
    "Hợp tác xã {name}",
    "Trường THPT {name}",
    "Trường THCS {name}",
    "Trường Tiểu học {name}",
    "Trường Mầm non {name}",
    "Chi nhánh Công ty Cổ phần {name}",
    "Công ty TNHH May mặc {name}",
)

UNIT_NAME_WORDS: tuple[str, ...] = (
    "Thành Công",
    "Phú Thái",
    "Hòa Phát",
    "Việt Tiến",
    "Sao Mai",
    "Thăng Long",
    "Hồng Hà",
    "Sông Đà",
    "Trường Sơn",
    "Bình Minh",
    "Ánh Dương",
    "Phương Nam",
    "Đông Á",
    "Tân Phát",
    "An Khang",
    "Phúc Lộc",
    "Hưng Thịnh",
    "Thịnh Vượng",
    "Đại Việt",
    "Hoàng Long",
    "Minh Khang",
    "Kim Long",
    "Bảo Tín",
    "Tiến Phát",
    "Đức Thành",
    "Việt Hưng",
    "Toàn Cầu",
    "Hải Âu",
    "Sen Vàng",
    "Mặt Trời",
    "Thiên Phú",
    "Vạn Xuân",
    "Lạc Hồng",
    "Hà Thành",
    "Nam Việt",
    "Bắc Hà",
    "Hoa Sen",
    "Trúc Lâm",
    "Tân Tiến",
    "Đồng Tâm",
    "Quang Minh",
    "Gia Phát",
    "Phú Mỹ",
    "An Phú",
    "Tràng An",
    "Lam Sơn",
    "Chu Văn An",
    "Lê Quý Đôn",
    "Nguyễn Trãi",
    "Trần Phú",
    "Kết Đoàn",
    "Hữu Nghị",
    "Thái Bình Dương",
    "Việt Nhật",
    "Nhật Minh",
)

# (pattern, accepts_health_insurance, issues_sick_leave).  Placeholders:
# {place} = province/city name, {district} = district name, {ward} = ward name,
# {name} = a word from UNIT_NAME_WORDS.  Flags reflect practice: public
# hospitals and commune health stations sign BHYT contracts; small private
# clinics, pharmacies and cosmetic clinics rarely issue paid sick leave.
FACILITY_NAME_PATTERNS: tuple[tuple[str, bool, bool], ...] = (
    ("Bệnh viện Đa khoa {place}", True, True),
    ("Bệnh viện Đa khoa khu vực {district}", True, True),
    ("Trung tâm Y tế {district}", True, True),
    ("Trạm Y tế {ward}", True, False),
    ("Bệnh viện Y học cổ truyền {place}", True, True),
    ("Bệnh viện Phục hồi chức năng {place}", True, True),
    ("Bệnh viện Sản - Nhi {place}", True, True),
    ("Bệnh viện Mắt {place}", True, True),
    ("Phòng khám Đa khoa {name}", True, False),
    ("Phòng khám Đa khoa tư nhân {name}", False, False),
    ("Bệnh viện Đa khoa tư nhân {name}", True, True),
    ("Bệnh viện Quốc tế {name}", False, True),
    ("Phòng khám Răng Hàm Mặt {name}", False, False),
    ("Phòng khám Chuyên khoa Nội {name}", False, False),
)

# (facility code, name, province code, latitude, longitude).  The facility code
# follows the BHYT "mã KCB" shape (2-digit province + 3 characters); except where
# noted these codes are illustrative and unique, not copied from the official
# register.
FAMOUS_HOSPITALS: tuple[tuple[str, str, str, float, float], ...] = (
    ("01929", "Bệnh viện Bạch Mai", "01", 21.0003, 105.8405),
    ("01909", "Bệnh viện Hữu nghị Việt Đức", "01", 21.0285, 105.8456),
    ("01902", "Bệnh viện Trung ương Quân đội 108", "01", 21.0178, 105.8605),
    ("01904", "Bệnh viện Hữu Nghị", "01", 21.0170, 105.8620),
    ("01910", "Bệnh viện Nhi Trung ương", "01", 21.0247, 105.8075),
    ("01913", "Bệnh viện E", "01", 21.0478, 105.7869),
    ("01921", "Bệnh viện Đa khoa Xanh Pôn", "01", 21.0319, 105.8369),
    ("01905", "Bệnh viện K", "01", 20.9625, 105.7960),
    ("01922", "Bệnh viện Phụ sản Trung ương", "01", 21.0275, 105.8475),
    ("01906", "Bệnh viện Thanh Nhàn", "01", 21.0035, 105.8570),
    ("01923", "Bệnh viện Đa khoa Hà Đông", "01", 20.9695, 105.7790),
    ("01930", "Bệnh viện Tim Hà Nội", "01", 21.0260, 105.8470),
    ("79024", "Bệnh viện Chợ Rẫy", "79", 10.7577, 106.6596),
    ("79025", "Bệnh viện Thống Nhất", "79", 10.7915, 106.6531),
    ("79026", "Bệnh viện Nhân dân 115", "79", 10.7761, 106.6671),
    ("79027", "Bệnh viện Nhân dân Gia Định", "79", 10.8036, 106.6947),
    ("79028", "Bệnh viện Nhi Đồng 1", "79", 10.7690, 106.6699),
    ("79029", "Bệnh viện Đại học Y Dược Thành phố Hồ Chí Minh", "79", 10.7552, 106.6645),
    ("79030", "Bệnh viện Từ Dũ", "79", 10.7688, 106.6855),
    ("79031", "Bệnh viện Ung Bướu Thành phố Hồ Chí Minh", "79", 10.8064, 106.6977),
    ("48001", "Bệnh viện Đà Nẵng", "48", 16.0727, 108.2163),
    ("48002", "Bệnh viện C Đà Nẵng", "48", 16.0704, 108.2158),
    ("48003", "Bệnh viện Phụ sản - Nhi Đà Nẵng", "48", 16.0020, 108.2580),
    ("48004", "Bệnh viện Ung bướu Đà Nẵng", "48", 16.0745, 108.1670),
    ("31001", "Bệnh viện Hữu nghị Việt Tiệp", "31", 20.8570, 106.6800),
    ("31002", "Bệnh viện Trẻ em Hải Phòng", "31", 20.8420, 106.6790),
    ("31003", "Bệnh viện Kiến An", "31", 20.8100, 106.6300),
    ("92001", "Bệnh viện Đa khoa Trung ương Cần Thơ", "92", 10.0240, 105.7580),
    ("92002", "Bệnh viện Đa khoa Thành phố Cần Thơ", "92", 10.0380, 105.7860),
    ("92003", "Bệnh viện Nhi đồng Thành phố Cần Thơ", "92", 10.0150, 105.7500),
)

# ICD-10 codes with the Vietnamese titles used by the Ministry of Health list
# (wording simplified where the official title is very long).
ICD10: tuple[tuple[str, str], ...] = (
    ("A09", "Tiêu chảy và viêm dạ dày - ruột do nhiễm trùng"),
    ("A15.0", "Lao phổi, xác nhận bằng soi đờm"),
    ("A90", "Sốt Dengue [sốt xuất huyết Dengue cổ điển]"),
    ("A91", "Sốt xuất huyết Dengue"),
    ("B01.9", "Thủy đậu không biến chứng"),
    ("B18.1", "Viêm gan virus B mạn tính không có tác nhân delta"),
    ("B34.9", "Nhiễm virus, không đặc hiệu"),
    ("C16.9", "U ác của dạ dày, không đặc hiệu"),
    ("C22.0", "Ung thư biểu mô tế bào gan"),
    ("C34.9", "U ác của phế quản hoặc phổi, không đặc hiệu"),
    ("C50.9", "U ác của vú, không đặc hiệu"),
    ("D50.9", "Thiếu máu do thiếu sắt, không đặc hiệu"),
    ("E03.9", "Suy giáp, không đặc hiệu"),
    ("E05.0", "Nhiễm độc giáp với bướu giáp lan tỏa"),
    ("E11.9", "Bệnh đái tháo đường không phụ thuộc insulin, không có biến chứng"),
    ("E78.5", "Tăng lipid máu, không đặc hiệu"),
    ("E79.0", "Tăng acid uric máu không có dấu hiệu viêm khớp"),
    ("F32.9", "Giai đoạn trầm cảm, không đặc hiệu"),
    ("F41.1", "Rối loạn lo âu lan tỏa"),
    ("G43.9", "Migraine, không đặc hiệu"),
    ("G47.0", "Mất ngủ"),
    ("H10.9", "Viêm kết mạc, không đặc hiệu"),
    ("H25.9", "Đục thủy tinh thể người già, không đặc hiệu"),
    ("H66.9", "Viêm tai giữa, không đặc hiệu"),
    ("I10", "Bệnh lý tăng huyết áp vô căn (nguyên phát)"),
    ("I20.9", "Cơn đau thắt ngực, không đặc hiệu"),
    ("I21.9", "Nhồi máu cơ tim cấp, không đặc hiệu"),
    ("I25.1", "Bệnh tim xơ vữa"),
    ("I50.9", "Suy tim, không đặc hiệu"),
    ("I63.9", "Nhồi máu não, không đặc hiệu"),
    ("I64", "Đột quỵ, không xác định do xuất huyết hay nhồi máu"),
    ("I83.9", "Giãn tĩnh mạch chi dưới không loét hoặc viêm"),
    ("J00", "Viêm mũi họng cấp [cảm thường]"),
    ("J02.9", "Viêm họng cấp, không đặc hiệu"),
    ("J03.9", "Viêm amidan cấp, không đặc hiệu"),
    ("J06.9", "Nhiễm trùng đường hô hấp trên cấp, không đặc hiệu"),
    ("J18.9", "Viêm phổi, không đặc hiệu"),
    ("J20.9", "Viêm phế quản cấp, không đặc hiệu"),
    ("J30.4", "Viêm mũi dị ứng, không đặc hiệu"),
    ("J32.9", "Viêm xoang mạn, không đặc hiệu"),
    ("J44.9", "Bệnh phổi tắc nghẽn mạn tính, không đặc hiệu"),
    ("J45.9", "Hen, không đặc hiệu"),
    ("K02.9", "Sâu răng, không đặc hiệu"),
    ("K21.9", "Bệnh trào ngược dạ dày - thực quản không có viêm thực quản"),
    ("K25.9", "Loét dạ dày, không xác định cấp hay mạn, không có xuất huyết hoặc thủng"),
    ("K29.7", "Viêm dạ dày, không đặc hiệu"),
    ("K35.8", "Viêm ruột thừa cấp, khác và không đặc hiệu"),
    ("K52.9", "Viêm dạ dày - ruột và viêm đại tràng không nhiễm trùng, không đặc hiệu"),
    ("K58.9", "Hội chứng ruột kích thích không có tiêu chảy"),
    ("K74.6", "Xơ gan khác và không đặc hiệu"),
    ("K80.2", "Sỏi túi mật không có viêm túi mật"),
    ("L20.9", "Viêm da cơ địa, không đặc hiệu"),
    ("L50.9", "Mày đay, không đặc hiệu"),
    ("M10.9", "Bệnh gút, không đặc hiệu"),
    ("M17.9", "Thoái hóa khớp gối, không đặc hiệu"),
    ("M47.8", "Thoái hóa cột sống khác"),
    ("M51.2", "Thoát vị đĩa đệm đặc hiệu khác"),
    ("M54.5", "Đau vùng thắt lưng"),
    ("M79.1", "Đau cơ"),
    ("N18.9", "Bệnh thận mạn tính, không đặc hiệu"),
    ("N20.0", "Sỏi thận"),
    ("N39.0", "Nhiễm trùng đường tiết niệu, vị trí không xác định"),
    ("N76.0", "Viêm âm đạo cấp"),
    ("O80", "Đẻ thường một thai"),
    ("O82", "Đẻ một thai bằng mổ lấy thai"),
    ("P59.9", "Vàng da sơ sinh, không đặc hiệu"),
    ("R05", "Ho"),
    ("R50.9", "Sốt, không đặc hiệu"),
    ("R51", "Đau đầu"),
    ("S52.5", "Gãy đầu dưới xương quay"),
    ("S82.2", "Gãy thân xương chày"),
    ("S06.0", "Chấn động não"),
    ("T14.0", "Tổn thương nông của vùng cơ thể không xác định"),
    ("U07.1", "COVID-19, đã xác định virus"),
    ("Z00.0", "Khám sức khỏe tổng quát"),
    ("Z34.9", "Giám sát thai nghén bình thường, không đặc hiệu"),
    ("Z76.0", "Cấp lại đơn thuốc"),
)

# (topic, question, answer), written from the individual user guide for the
# electronic-transaction registration, the dichvucong portal and VssID.
FAQS: tuple[tuple[str, str, str], ...] = (
    (
        "Đăng ký giao dịch điện tử",
        "Cá nhân đăng ký giao dịch điện tử với cơ quan BHXH ở đâu?",
        "Bạn có thể đăng ký trên Cổng Dịch vụ công của BHXH Việt Nam tại địa chỉ "
        "https://dichvucong.baohiemxahoi.gov.vn (chọn “Đăng ký”, đối tượng “Cá nhân”) "
        "hoặc chọn “Đăng ký trực tiếp ngay” trên ứng dụng VssID.",
    ),
    (
        "Đăng ký giao dịch điện tử",
        "Khi đăng ký cần kê khai theo mẫu nào?",
        "Cá nhân kê khai Tờ khai đăng ký sử dụng, điều chỉnh thông tin và ngừng sử dụng "
        "phương thức giao dịch điện tử trong lĩnh vực bảo hiểm xã hội theo mẫu số 01 "
        "(ban hành kèm theo công văn số 5236/VBHN-BLĐTBXH), gồm họ tên, mã số BHXH, số "
        "CMND/CCCD/hộ chiếu, ảnh hai mặt giấy tờ, ảnh cá nhân, địa chỉ liên hệ, email và "
        "số điện thoại di động.",
    ),
    (
        "Đăng ký giao dịch điện tử",
        "Sau khi kê khai tờ khai mẫu 01 trực tuyến, tôi cần làm gì tiếp theo?",
        "Sau khi bấm “Ghi nhận”, bạn liên hệ bộ phận tiếp nhận và trả kết quả hồ sơ của "
        "cơ quan BHXH đã chọn, xuất trình CMND/thẻ Căn cước công dân/hộ chiếu để được phê "
        "duyệt và ký tờ khai mẫu 01. Tên tài khoản và mật khẩu sẽ được gửi qua tin nhắn SMS "
        "tới số điện thoại đã đăng ký.",
    ),
    (
        "Đăng ký giao dịch điện tử",
        "Tôi có thể nộp hồ sơ đăng ký mà không cần đến cơ quan BHXH không?",
        "Khi kê khai, bạn có thể chọn hình thức nộp hồ sơ tại nhà thông qua dịch vụ bưu "
        "chính công ích (cước do cá nhân tự trả) hoặc nộp tại nơi tiếp nhận hồ sơ theo quy "
        "định của BHXH Việt Nam.",
    ),
    (
        "Đăng ký giao dịch điện tử",
        "Nếu hồ sơ đăng ký không hợp lệ thì sao?",
        "Cổng Dịch vụ công gửi thông báo không chấp nhận vào email (nếu có) và tin nhắn tới "
        "số điện thoại đã đăng ký. Bạn căn cứ thông báo để hoàn chỉnh thông tin đăng ký hoặc "
        "liên hệ bộ phận tiếp nhận và trả kết quả của cơ quan BHXH.",
    ),
    (
        "Đăng ký giao dịch điện tử",
        "Khi hồ sơ hợp lệ, tôi nhận thông tin tài khoản bằng cách nào?",
        "Hệ thống cấp và kích hoạt tài khoản, gửi thông báo chấp thuận kèm thông tin tài "
        "khoản vào email (nếu có) và gửi tin nhắn tới số điện thoại đã đăng ký.",
    ),
    (
        "Đăng nhập",
        "Tên đăng nhập vào Cổng Dịch vụ công và VssID là gì?",
        "Tên đăng nhập là mã số BHXH do cơ quan BHXH cấp, được ghi trên sổ BHXH và thẻ BHYT. "
        "Mã số BHXH gồm 10 chữ số.",
    ),
    (
        "Đăng nhập",
        "Cần nhập những thông tin gì để đăng nhập trên Cổng Dịch vụ công?",
        "Chọn “Đăng nhập”, chọn đối tượng “Cá nhân”, nhập tên đăng nhập (mã số BHXH), mật "
        "khẩu, mã kiểm tra rồi bấm “Đăng nhập”.",
    ),
    (
        "Đăng nhập",
        "Tài khoản dịch vụ công có dùng được cho ứng dụng VssID không?",
        "Có. Tài khoản giao dịch điện tử cá nhân với cơ quan BHXH qua Cổng Dịch vụ công "
        "cũng chính là tài khoản sử dụng ứng dụng VssID.",
    ),
    (
        "Đăng nhập",
        "Vì sao tôi bị đăng xuất khỏi VssID trên điện thoại cũ?",
        "Ứng dụng chỉ cho phép một tài khoản đăng nhập trên một thiết bị tại cùng một thời "
        "điểm. Khi đăng nhập trên thiết bị thứ hai, ứng dụng cảnh báo và yêu cầu nhập mã OTP "
        "gửi tới số điện thoại đã đăng ký; sau đó tài khoản bị thoát khỏi thiết bị thứ nhất.",
    ),
    (
        "Mật khẩu",
        "Mật khẩu lần đầu được gửi cho tôi như thế nào?",
        "Mật khẩu được hệ thống gửi qua tin nhắn SMS tới số điện thoại đã đăng ký và qua email (nếu có).",
    ),
    (
        "Mật khẩu",
        "Tôi có phải đổi mật khẩu không?",
        "Có. Bạn nên đổi mật khẩu ngay ở lần đăng nhập đầu tiên để bảo vệ thông tin cá nhân "
        "và có trách nhiệm thay đổi mật khẩu ít nhất 06 (sáu) tháng một lần để bảo đảm an "
        "toàn, bảo mật.",
    ),
    (
        "Ứng dụng VssID",
        "Tải ứng dụng VssID ở đâu?",
        "Trên điện thoại Android, vào Google Play/CH Play; trên iPhone, vào App Store; gõ "
        "từ khóa “VssID”, chọn ứng dụng VssID rồi chọn “Cài đặt” (Android) hoặc “Nhận” (iOS).",
    ),
    (
        "Ứng dụng VssID",
        "Chưa có tài khoản thì dùng được những tiện ích nào của VssID?",
        "Không cần đăng nhập, bạn vẫn có thể tra cứu mã số BHXH, điểm thu và đại lý thu, cơ "
        "sở khám chữa bệnh ký hợp đồng BHYT, cơ sở khám chữa bệnh cấp giấy nghỉ việc hưởng "
        "BHXH, đơn vị tham gia BHXH, cơ quan BHXH; gọi tổng đài 1900 9068; dùng chatbot; gửi "
        "phản ánh, kiến nghị; xem câu hỏi thường gặp, tin tức và video về BHXH, BHYT.",
    ),
    (
        "Ứng dụng VssID",
        "Khi đăng nhập, VssID có những tiện ích nâng cao nào?",
        "Bốn tiện ích nâng cao gồm: thẻ BHYT điện tử, quá trình tham gia BHXH, thông tin "
        "hưởng các chế độ và sổ khám chữa bệnh.",
    ),
    (
        "Ứng dụng VssID",
        "Số tổng đài hỗ trợ của BHXH Việt Nam là bao nhiêu?",
        "Tổng đài hỗ trợ của BHXH Việt Nam là 1900 9068. Bạn cũng có thể dùng chatbot, gửi "
        "email hoặc gửi phản ánh, kiến nghị ngay trên ứng dụng VssID.",
    ),
    (
        "Thẻ BHYT",
        "Xem thẻ BHYT điện tử trên VssID như thế nào?",
        "Chọn “QL cá nhân”, chọn “Thẻ BHYT” để xem thông tin cơ bản, sau đó nhấn “Xem thẻ "
        "Bảo hiểm y tế” để hiển thị thẻ; có thể xoay thẻ để dễ quan sát.",
    ),
    (
        "Thẻ BHYT",
        "Tôi có tra cứu được thời hạn sử dụng thẻ BHYT không?",
        "Có. Sau khi đăng nhập VssID, mục Thẻ BHYT hiển thị thông tin thẻ và thời hạn sử "
        "dụng; mục Sổ khám chữa bệnh liệt kê các lần khám chữa bệnh BHYT theo từng năm.",
    ),
    (
        "Mã số BHXH",
        "Tôi quên mã số BHXH thì tra cứu ở đâu?",
        "Dùng tiện ích “Tra cứu mã số BHXH” trên ứng dụng VssID hoặc Cổng Dịch vụ công; "
        "tiện ích này dùng được cả khi chưa có tài khoản. Mã số BHXH cũng được in trên sổ "
        "BHXH và thẻ BHYT.",
    ),
    (
        "Quá trình tham gia",
        "Xem quá trình đóng BHXH của tôi ở đâu?",
        "Trong VssID, chức năng “Quá trình tham gia BH” hiển thị quá trình tham gia BHXH, "
        "BH thất nghiệp, BH TNLĐ - BNN và BHYT, kèm chi tiết từng giai đoạn: thời gian, đơn "
        "vị, nghề nghiệp, chức vụ và mức đóng; đồng thời cho biết tổng thời gian tham gia.",
    ),
    (
        "Quá trình tham gia",
        "Làm sao biết mình đã hưởng những chế độ BHXH nào?",
        "Chức năng “Thông tin hưởng” trên VssID liệt kê các chế độ đã hưởng: BHXH một lần; "
        "ốm đau, thai sản, dưỡng sức phục hồi sức khỏe; BHXH hàng tháng; bảo hiểm thất nghiệp.",
    ),
    (
        "Hỗ trợ",
        "Gặp vướng mắc khi đăng ký thì liên hệ ai?",
        "Bạn liên hệ bộ phận tiếp nhận và trả kết quả hồ sơ của cơ quan BHXH nơi đăng ký "
        "hoặc gọi tổng đài 1900 9068 để được giải đáp, hỗ trợ.",
    ),
)

# (title, summary, body, video_url).  Video ids are placeholders.
NEWS: tuple[tuple[str, str, str, str | None], ...] = (
    (
        "Tăng lương cơ sở lên 2.340.000 đồng/tháng từ ngày 01/7/2024",
        "Mức lương cơ sở mới làm thay đổi mức đóng, mức hưởng nhiều chế độ BHXH, BHYT.",
        "Từ ngày 01/7/2024, lương cơ sở tăng từ 1.800.000 đồng lên 2.340.000 đồng/tháng. "
        "Mức đóng BHYT của người tham gia theo hộ gia đình, học sinh, sinh viên và mức "
        "trợ cấp một lần khi sinh con được tính lại theo mức lương cơ sở mới.",
        "https://www.youtube.com/watch?v=vss2024luong",
    ),
    (
        "Luật Bảo hiểm xã hội năm 2024 có hiệu lực từ ngày 01/7/2025",
        "Luật mới mở rộng đối tượng tham gia và giảm số năm đóng tối thiểu để hưởng lương hưu.",
        "Luật Bảo hiểm xã hội số 41/2024/QH15 có hiệu lực từ ngày 01/7/2025. Điểm mới nổi "
        "bật gồm giảm thời gian đóng tối thiểu để hưởng lương hưu từ 20 năm xuống 15 năm, "
        "bổ sung trợ cấp hưu trí xã hội và mở rộng đối tượng tham gia BHXH bắt buộc.",
        "https://www.youtube.com/watch?v=vssluat2024",
    ),
    (
        "Sử dụng thẻ BHYT điện tử trên VssID khi đi khám chữa bệnh",
        "Người tham gia có thể xuất trình hình ảnh thẻ BHYT trên ứng dụng VssID thay thẻ giấy.",
        "Cơ sở khám chữa bệnh chấp nhận hình ảnh thẻ BHYT trên VssID hoặc thẻ Căn cước công "
        "dân gắn chip khi làm thủ tục khám chữa bệnh BHYT, giúp giảm thời gian chờ đợi.",
        None,
    ),
    (
        "Khám chữa bệnh BHYT bằng thẻ Căn cước công dân gắn chip",
        "Hầu hết cơ sở khám chữa bệnh đã triển khai tra cứu thông tin thẻ BHYT qua CCCD.",
        "Người bệnh chỉ cần xuất trình thẻ Căn cước công dân gắn chip hoặc tài khoản định "
        "danh điện tử VNeID mức 2 để cơ sở y tế tra cứu thông tin thẻ BHYT.",
        "https://www.youtube.com/watch?v=vsscccdbhyt",
    ),
    (
        "Tăng lương hưu, trợ cấp BHXH 15% từ ngày 01/7/2024",
        "Khoảng 3,3 triệu người đang hưởng lương hưu, trợ cấp hằng tháng được điều chỉnh.",
        "Lương hưu, trợ cấp BHXH và trợ cấp hằng tháng được tăng thêm 15% trên mức hưởng "
        "của tháng 6/2024; người có lương hưu thấp được điều chỉnh thêm theo quy định.",
        None,
    ),
    (
        "Hướng dẫn đăng ký tài khoản giao dịch điện tử trên VssID",
        "Người dân có thể tự kê khai tờ khai mẫu 01 ngay trên điện thoại.",
        "Sau khi kê khai mẫu 01 trên VssID, người đăng ký mang CMND/CCCD/hộ chiếu đến cơ "
        "quan BHXH để được phê duyệt; tên tài khoản và mật khẩu được gửi qua SMS.",
        "https://www.youtube.com/watch?v=vssidhuongdan",
    ),
    (
        "Tổ chức bộ máy BHXH Việt Nam thuộc Bộ Tài chính từ năm 2025",
        "BHXH Việt Nam chuyển về trực thuộc Bộ Tài chính, sắp xếp lại hệ thống cơ quan địa phương.",
        "Theo chủ trương tinh gọn bộ máy, BHXH Việt Nam là cơ quan thuộc Bộ Tài chính; BHXH "
        "cấp tỉnh được tổ chức lại thành BHXH khu vực. Người dân tiếp tục giao dịch bình "
        "thường qua Cổng Dịch vụ công và ứng dụng VssID.",
        None,
    ),
    (
        "Mức đóng BHYT hộ gia đình năm 2025",
        "Người thứ nhất đóng 4,5% mức lương cơ sở, từ người thứ hai được giảm dần.",
        "Với lương cơ sở 2.340.000 đồng, người thứ nhất trong hộ gia đình đóng 105.300 "
        "đồng/tháng; người thứ hai, thứ ba, thứ tư đóng lần lượt bằng 70%, 60%, 50% mức của "
        "người thứ nhất; từ người thứ năm đóng bằng 40%.",
        None,
    ),
    (
        "Chính quyền hai cấp: địa chỉ trên hồ sơ BHXH theo đơn vị hành chính mới",
        "Từ ngày 01/7/2025 cả nước còn 34 tỉnh, thành phố và không còn cấp huyện.",
        "Người tham gia không bắt buộc đổi sổ BHXH, thẻ BHYT chỉ vì thay đổi địa giới hành "
        "chính; thông tin địa chỉ sẽ được cập nhật dần theo đơn vị hành chính cấp xã mới.",
        "https://www.youtube.com/watch?v=vss34tinh",
    ),
    (
        "Hưởng BHXH một lần: những điều người lao động cần cân nhắc",
        "Nhận BHXH một lần đồng nghĩa với việc mất thời gian đóng để tính lương hưu.",
        "Cơ quan BHXH khuyến cáo người lao động nên bảo lưu thời gian đóng để được hưởng "
        "lương hưu và thẻ BHYT khi về già thay vì rút BHXH một lần.",
        None,
    ),
    (
        "Trợ cấp thai sản cho lao động nam khi vợ sinh con",
        "Lao động nam đang đóng BHXH được nghỉ từ 5 đến 14 ngày làm việc khi vợ sinh con.",
        "Thời gian nghỉ tùy theo trường hợp sinh thường, sinh mổ hay sinh đôi trở lên; từ "
        "ngày 01/7/2025 thời gian nghỉ có thể chia thành nhiều lần trong 60 ngày đầu.",
        "https://www.youtube.com/watch?v=vssthaisan",
    ),
    (
        "Giấy nghỉ việc hưởng BHXH được liên thông điện tử",
        "Cơ sở khám chữa bệnh gửi dữ liệu giấy chứng nhận nghỉ việc hưởng BHXH lên hệ thống.",
        "Người lao động không cần nộp bản giấy khi cơ sở khám chữa bệnh đã gửi dữ liệu điện "
        "tử; đơn vị sử dụng lao động lập danh sách đề nghị giải quyết chế độ ốm đau trên "
        "Cổng Dịch vụ công.",
        None,
    ),
    (
        "Lương tối thiểu vùng tăng 6% từ ngày 01/7/2024",
        "Mức lương tối thiểu tháng vùng I là 4.960.000 đồng.",
        "Theo Nghị định 74/2024/NĐ-CP, lương tối thiểu tháng vùng I là 4.960.000 đồng, vùng "
        "II 4.410.000 đồng, vùng III 3.860.000 đồng và vùng IV 3.450.000 đồng; đây là căn "
        "cứ xác định mức tiền lương thấp nhất làm căn cứ đóng BHXH bắt buộc.",
        None,
    ),
)

# Names of places where voluntary BHXH and household BHYT contributions are
# collected (post offices, authorised agents, commune people's committees).
COLLECTION_AGENT_PATTERNS: tuple[str, ...] = (
    "Bưu điện {place}",
    "Bưu điện văn hóa xã {ward}",
    "Đại lý thu BHXH {ward}",
    "UBND {ward}",
    "Điểm thu BHXH, BHYT {ward}",
    "Đại lý thu Bưu điện {district}",
)


# ---------------------------------------------------------------------------
# Self-check: run ``python3 seed/reference.py`` after editing the tables.
# ---------------------------------------------------------------------------


def _is_code(value: str, length: int) -> bool:
    return len(value) == length and value.isdigit()


def check() -> None:
    """Assert the invariants that generators and resolvers rely on."""
    # Provinces: 63 pre-2025 units, unique well-formed codes, ordered.
    codes = [p.code for p in PROVINCES]
    assert len(PROVINCES) == 63, len(PROVINCES)
    assert len(set(codes)) == 63
    assert codes == sorted(codes)
    assert all(_is_code(c, 2) for c in codes)

    # 2025 provinces: 34, each code one of the old ones, every old province mapped.
    new_codes = {c for c, _ in PROVINCES_2025}
    assert len(PROVINCES_2025) == 34 and len(new_codes) == 34
    assert new_codes <= set(codes)
    assert {p.province_2025 for p in PROVINCES} == new_codes
    for p in PROVINCES:
        if p.code in new_codes:
            # A province that kept its code must map onto itself.
            assert p.province_2025 == p.code, p.code

    # Districts and wards: unique codes of the right shape, consistent parents.
    district_by_code = {d.code: d for d in DISTRICTS}
    assert len(district_by_code) == len(DISTRICTS)
    assert all(_is_code(d.code, 3) for d in DISTRICTS)
    assert all(d.province_code in codes for d in DISTRICTS)
    ward_by_code = {w.code: w for w in WARDS}
    assert len(ward_by_code) == len(WARDS)
    for w in WARDS:
        assert _is_code(w.code, 5), w.code
        parent = district_by_code[w.district_code]
        assert parent.province_code == w.province_code, w.code

    # Every province has its office district/ward, with at least 3 wards there.
    for p in PROVINCES:
        d = district_by_code[p.office_district_code]
        w = ward_by_code[p.office_ward_code]
        assert d.province_code == p.code, p.code
        assert w.district_code == d.code and w.province_code == p.code, p.code
        assert sum(1 for x in WARDS if x.district_code == d.code) >= 3, p.code
        min_lat, min_lon, max_lat, max_lon = p.bbox
        assert min_lat < max_lat and min_lon < max_lon, p.code
        assert min_lat <= p.latitude <= max_lat, p.code
        assert min_lon <= p.longitude <= max_lon, p.code
        assert 1 <= p.wage_region <= 4, p.code
        assert p.office_name == f"BHXH {p.name}", p.code

    # The five centrally-governed cities carry every district, 4+ wards each
    # (island districts administered directly, without communes, excepted).
    for city in ("01", "31", "48", "79", "92"):
        city_districts = [d for d in DISTRICTS if d.province_code == city]
        assert city_districts, city
        for d in city_districts:
            if d.code in DISTRICTS_WITHOUT_COMMUNES:
                continue
            assert sum(1 for x in WARDS if x.district_code == d.code) >= 4, d.code

    # Golden records from the official user guide.
    assert district_by_code["272"] == District("272", "Huyện Phúc Thọ", "01")
    assert ward_by_code["09763"] == Ward("09763", "Xã Phúc Hòa", "272", "01")
    assert district_by_code["268"].name == "Quận Hà Đông"
    hanoi = PROVINCES[0]
    assert hanoi.code == "01" and hanoi.name == "Thành phố Hà Nội"
    assert hanoi.office_street == "162 Tô Hiệu"
    assert hanoi.office_phone == "024.37236555"
    assert hanoi.office_district_code == "268"
    assert ward_by_code[hanoi.office_ward_code].name == "Phường Hà Cầu"
    names = {p.code: p.name for p in PROVINCES}
    assert names["79"] == "Thành phố Hồ Chí Minh"
    assert names["48"] == "Thành phố Đà Nẵng"
    assert names["31"] == "Thành phố Hải Phòng"
    assert names["92"] == "Thành phố Cần Thơ"

    # Other tables: sizes, shapes and Unicode normalisation.
    assert len(SURNAMES) >= 20 and all(w > 0 for _, w in SURNAMES)
    assert len(MIDDLE_NAMES_MALE) >= 15 and len(MIDDLE_NAMES_FEMALE) >= 12
    assert len(GIVEN_NAMES_MALE) >= 60 and len(GIVEN_NAMES_FEMALE) >= 60
    assert len(STREET_NAMES) >= 40 and len(OCCUPATIONS) >= 30
    assert len(UNIT_NAME_PATTERNS) >= 12 and all("{name}" in p for p in UNIT_NAME_PATTERNS)
    assert len(UNIT_NAME_WORDS) >= 50
    assert len(FACILITY_NAME_PATTERNS) >= 8
    assert len(FAMOUS_HOSPITALS) >= 25
    assert len({h[0] for h in FAMOUS_HOSPITALS}) == len(FAMOUS_HOSPITALS)
    for code, _, province, lat, lon in FAMOUS_HOSPITALS:
        assert len(code) == 5 and code[:2] == province and province in names, code
        p = PROVINCES[codes.index(province)]
        assert p.bbox[0] <= lat <= p.bbox[2] and p.bbox[1] <= lon <= p.bbox[3], code
    assert len(ICD10) >= 60 and len({c for c, _ in ICD10}) == len(ICD10)
    assert len(FAQS) >= 20 and len(NEWS) >= 12
    assert len(COLLECTION_AGENT_PATTERNS) >= 5

    texts: list[str] = [p.name for p in PROVINCES] + [p.office_street for p in PROVINCES]
    texts += [n for _, n in PROVINCES_2025] + [d.name for d in DISTRICTS] + [w.name for w in WARDS]
    texts += [s for s, _ in SURNAMES] + list(GIVEN_NAMES_MALE) + list(GIVEN_NAMES_FEMALE)
    texts += [t for faq in FAQS for t in faq] + [t for item in NEWS for t in item[:3]]
    texts += [n for _, n in ICD10] + [h[1] for h in FAMOUS_HOSPITALS]
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)


if __name__ == "__main__":
    check()
